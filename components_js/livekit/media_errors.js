// A getUserMedia/getDisplayMedia failure as a code; Python words it for the user.
export function errorCode(error) {
  const name = (error && error.name) || "";
  if (name === "NotAllowedError") return "not_allowed";
  if (name === "NotFoundError" || name === "OverconstrainedError") return "not_found";
  if (name === "NotReadableError") return "in_use";
  return "failed";
}

export function errorDetail(error) {
  return String((error && error.message) || error || "").slice(0, 200);
}
