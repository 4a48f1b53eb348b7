/** Adam as torch.optim.Adam computes it (eps added after the bias-corrected square root). */
export class Adam {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private t = 0;

  constructor(
    private readonly params: Float32Array[],
    public lr: number,
    private readonly beta1: number,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-8,
  ) {
    this.m = params.map((p) => new Float32Array(p.length));
    this.v = params.map((p) => new Float32Array(p.length));
  }

  step(grads: Float32Array[]): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps } = this;
    const stepSize = this.lr / (1 - b1 ** this.t);
    const bc2 = Math.sqrt(1 - b2 ** this.t);
    this.params.forEach((p, i) => {
      const g = grads[i], m = this.m[i], v = this.v[i];
      for (let j = 0; j < p.length; j++) {
        m[j] = b1 * m[j] + (1 - b1) * g[j];
        v[j] = b2 * v[j] + (1 - b2) * g[j] * g[j];
        p[j] -= (stepSize * m[j]) / (Math.sqrt(v[j]) / bc2 + eps);
      }
    });
  }
}
