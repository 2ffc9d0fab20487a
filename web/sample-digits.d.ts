/** The virtual module esbuild generates (src/net/bundle.ts): 64 MNIST test digits, 8-bit, base64. */
declare module 'fedleak:sample-digits' {
  export const sampleDigits: { shape: number[]; count: number; labels: number[]; pixels: string };
}
