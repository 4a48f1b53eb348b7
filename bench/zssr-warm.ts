// `npm run bench -- zssr-warm`: ZSSR warm start (a similar photo's cached model) against cold training.
export { runWarm as run } from './zssr';
