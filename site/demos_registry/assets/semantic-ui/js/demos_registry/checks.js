// What the deposit form says about the checks of `demos:validation`: their
// names, the form field each concerns and which results need the author's eye.
// Check ids and statuses are those of the validation engine (docs/validation.md).
import { i18next } from "@translations/invenio_rdm_records/i18next";

export const ACTIVE_STATUSES = ["pending", "running"];

export const STATUS = {
  pending: { text: i18next.t("Pending"), icon: "clock outline" },
  running: { text: i18next.t("Running"), icon: "sync", loading: true },
  passed: { text: i18next.t("Passed"), icon: "check circle" },
  failed: { text: i18next.t("Failed"), icon: "times circle" },
  needs_review: { text: i18next.t("Needs review"), icon: "eye" },
  overridden: { text: i18next.t("Accepted by a curator"), icon: "user check" },
};

export const CHECK_TITLES = {
  integrity: i18next.t("File integrity"),
  checksums: i18next.t("Checksums"),
  metadata: i18next.t("Metadata"),
  schema: i18next.t("Schema"),
  patches: i18next.t("Patches"),
  reference_points: i18next.t("Reference points"),
  expected_outputs: i18next.t("Expected outputs"),
  stability: i18next.t("Numerical stability"),
  cross_engine: i18next.t("Cross-engine agreement"),
  patch_points: i18next.t("Signal points"),
  plots: i18next.t("Plots"),
};

/** Form fields with a place for validation messages, and the checks about them. */
export const FIELDS = {
  files: {
    label: i18next.t("Files"),
    checks: ["integrity", "checksums", "schema", "patches"],
  },
  reference_points: {
    label: i18next.t("Reference points"),
    checks: ["reference_points"],
  },
};

export const fieldOfCheck = (checkId) =>
  Object.keys(FIELDS).find((field) => FIELDS[field].checks.includes(checkId));

/** Id of the message element next to a field, the target of the panel's links. */
export const fieldMessageId = (field) => `demos-validation-${field}`;

export const isActive = (state) => ACTIVE_STATUSES.includes(state?.status);

/** Checks of the last report that failed or warn; none while a new verdict is awaited. */
export function problems(state, field = undefined) {
  if (!state || isActive(state)) {
    return [];
  }
  const checks = state.report?.checks || [];
  return checks.filter(
    (check) =>
      ["failed", "warning"].includes(check.status) &&
      (field === undefined || FIELDS[field].checks.includes(check.id))
  );
}

/** Why the status is what it is: the reason of the last entry of the decision trail. */
export const lastReason = (state) => state?.history?.[state.history.length - 1]?.reason;
