// Search result description with the DEMOS facts of a model underneath:
// domain, engine and format labels and the validation status, so that a
// result list can be scanned without opening each record.
import React from "react";
import PropTypes from "prop-types";
import _get from "lodash/get";
import { Icon, Item, Label } from "semantic-ui-react";
import { i18next } from "@translations/invenio_app_rdm/i18next";

const VALIDATION = {
  pending: { text: i18next.t("pending"), icon: "clock outline" },
  running: { text: i18next.t("running"), icon: "sync" },
  passed: { text: i18next.t("passed"), icon: "check circle" },
  failed: { text: i18next.t("failed"), icon: "times circle" },
  needs_review: { text: i18next.t("needs review"), icon: "eye" },
  overridden: { text: i18next.t("accepted by a curator"), icon: "user check" },
};

const VOCABULARY_FIELDS = [
  ["demos:domain", i18next.t("Domain")],
  ["demos:engine", i18next.t("Engine")],
  ["demos:format", i18next.t("Format")],
];

function ValidationBadge({ status }) {
  const known = VALIDATION[status];
  return known ? (
    <Label size="tiny" className={`demos-badge demos-badge-${status}`}>
      <Icon name={known.icon} aria-hidden="true" />
      {i18next.t("Validation")}: {known.text}
    </Label>
  ) : (
    <Label size="tiny" className="demos-badge demos-badge-none">
      <Icon name="hourglass outline" aria-hidden="true" />
      {i18next.t("Not validated yet")}
    </Label>
  );
}

ValidationBadge.propTypes = { status: PropTypes.string };
ValidationBadge.defaultProps = { status: undefined };

export function DemosResultDescription({ descriptionStripped, result }) {
  const uiFields = _get(result, "ui.custom_fields", {});
  const rawFields = _get(result, "custom_fields", {});
  const isModel =
    _get(result, "metadata.resource_type.id") === "model" ||
    Object.keys(rawFields).some((name) => name.startsWith("demos:"));
  const labels = VOCABULARY_FIELDS.map(([name, what]) => {
    const title =
      _get(uiFields, [name, "title_l10n"]) ||
      _get(rawFields, [name, "title", "en"]) ||
      _get(rawFields, [name, "id"]);
    return title && { name, what, title };
  }).filter(Boolean);

  return (
    <>
      <Item.Description className="truncate-lines-2">{descriptionStripped}</Item.Description>
      {isModel && (
        <div className="demos-result-labels">
          {labels.map(({ name, what, title }) => (
            <Label key={name} size="tiny" basic>
              <span className="sr-only">{what}: </span>
              {title}
            </Label>
          ))}
          <ValidationBadge status={_get(rawFields, ["demos:validation", "status"])} />
        </div>
      )}
    </>
  );
}

DemosResultDescription.propTypes = {
  descriptionStripped: PropTypes.string,
  result: PropTypes.object.isRequired,
};

DemosResultDescription.defaultProps = { descriptionStripped: "" };
