// Stands in for typebox's `system/environment/evaluate.mjs` in the panel's bundle (build.ts):
// the panel's CSP forbids eval, so typebox checks replies with its interpreter, and never tries
// `new Function` first (a try that would be a CSP violation on every page load).

export function CanEvaluate(): boolean {
  return false;
}

export function Evaluate(): never {
  throw new EvalError('the admin panel runs without eval (CSP)');
}
