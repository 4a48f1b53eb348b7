import type { z } from 'zod';

/** One contract method: a zod tuple for its arguments and a zod schema for its result. */
export interface MethodSpec<A extends z.ZodTuple = z.ZodTuple, R extends z.ZodType = z.ZodType> {
  args: A;
  result: R;
}

export function method<A extends z.ZodTuple, R extends z.ZodType>(args: A, result: R): MethodSpec<A, R> {
  return { args, result };
}

export type ApiMap = Record<string, MethodSpec>;

/** The async interface a map describes; no `any` crosses a boundary. */
export type ApiOf<M extends ApiMap> = {
  [K in keyof M]: (...args: z.infer<M[K]['args']>) => Promise<z.infer<M[K]['result']>>;
};

/** 'jobs.enqueue' -> 'jobs:enqueue': the IPC channel / HTTP path segment of a method. */
export function channelOf(name: string): string {
  return name.replace('.', ':');
}
