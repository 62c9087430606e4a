// Errors the portable way: Espruino has no RangeError and no subclasses of Error, so every error is a plain Error
// with a stable `code` that callers test instead of the class.

export interface CodedError extends Error {
  code: string;
}

/** A plain Error carrying `code`, for programmer mistakes (wrong lengths, malformed values built by the caller). */
export function codedError(code: string, message: string): CodedError {
  const e = new Error(message) as CodedError;
  e.code = code;
  return e;
}
