// Client-side checks of DEMOS values, mirroring the server's validators
// (site/demos_registry/custom_fields/validators.py) so that a person sees the
// problem next to the input while typing; the server stays the authority.
import { i18next } from "@translations/invenio_rdm_records/i18next";

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

const IDENTIFIER_PATTERNS = {
  doi: [/^10\.\d{4,9}\/\S+$/],
  arxiv: [
    /^(arxiv:)?\d{4}\.\d{4,5}(v\d+)?$/i,
    /^(arxiv:)?[a-z-]+(\.[a-z]{2})?\/\d{7}(v\d+)?$/i,
  ],
  inspire: [/^\d{1,9}$/, /^https?:\/\/(www\.)?inspirehep\.net\/(literature|record)\/\d+.*$/],
  hepdata: [
    /^10\.17182\/hepdata\.\d+(\.v\d+)?(\/t\d+|\/r\d+)?$/,
    /^https?:\/\/(www\.)?hepdata\.net\/record\/(ins)?\d+.*$/,
  ],
  zenodo: [/^10\.5281\/zenodo\.\d+$/, /^https?:\/\/(www\.)?zenodo\.org\/(records?|doi)\/.+$/],
  github: [/^https:\/\/github\.com\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)?(\/.*)?$/],
  url: [/^https?:\/\/[^\s/$.?#][^\s]*$/i],
};

const IDENTIFIER_EXAMPLES = {
  doi: "10.1103/PhysRevD.109.112006",
  arxiv: "2311.14647",
  inspire: "2728634",
  hepdata: "10.17182/hepdata.89408.v3",
  zenodo: "10.5281/zenodo.1234567",
  github: "https://github.com/owner/repository",
  url: "https://example.org/model",
};

export const SCHEMES = [
  { value: "doi", text: "DOI" },
  { value: "arxiv", text: "arXiv" },
  { value: "inspire", text: "INSPIRE" },
  { value: "hepdata", text: "HEPData" },
  { value: "zenodo", text: "Zenodo" },
  { value: "github", text: "GitHub" },
  { value: "url", text: "URL" },
];

export const isNumber = (value) =>
  (typeof value === "number" && Number.isFinite(value)) ||
  (typeof value === "string" && NUMBER.test(value.trim()));

/** Message for a value that must be a finite number (empty means "not given"). */
export function numberError(value, { nonNegative = false } = {}) {
  if (value === undefined || value === null || value === "") {
    return undefined;
  }
  if (!isNumber(value)) {
    return i18next.t("Must be a number, e.g. 1.5 or 2e-3.");
  }
  if (nonNegative && Number(value) < 0) {
    return i18next.t("Must be zero or positive.");
  }
  return undefined;
}

/** Message for an identifier that does not fit its scheme. */
export function identifierError(scheme, identifier) {
  const patterns = IDENTIFIER_PATTERNS[scheme];
  const value = (identifier || "").trim();
  if (!patterns || value === "" || patterns.some((pattern) => pattern.test(value))) {
    return undefined;
  }
  return i18next.t("Not a valid identifier for this scheme, e.g. {{example}}", {
    example: IDENTIFIER_EXAMPLES[scheme],
  });
}

/** Joins a server error, which may be nested (per parameter), into one message. */
export function errorText(error) {
  if (!error) {
    return undefined;
  }
  if (typeof error === "string") {
    return error;
  }
  if (error.message) {
    return error.message;
  }
  if (typeof error === "object") {
    const parts = Object.entries(error)
      .map(([key, nested]) => {
        const text = errorText(nested);
        return text && (key === "key" || key === "value" ? text : `${key}: ${text}`);
      })
      .filter(Boolean);
    return parts.length ? parts.join(" ") : undefined;
  }
  return undefined;
}
