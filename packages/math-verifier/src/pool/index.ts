/** Worker-pool entry of @oreal-ts/math-verifier (in progress). */
export const poolEntry = true;
