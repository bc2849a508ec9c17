/** The TypeScript module text generated for one `.wat` kernel source. */
export function kernelModule(watFile: string): Promise<string>;
