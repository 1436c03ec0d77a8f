// The live validation of the draft in the deposit form: a card in the side bar
// with the status badge and every failed or warning check, and a message next
// to each field a check is about (files, reference points). Both follow
// useLiveValidation, so they change as the registry's Celery task progresses.
import React from "react";
import PropTypes from "prop-types";
import { Card, Icon, Label, List, Message } from "semantic-ui-react";
import { i18next } from "@translations/invenio_rdm_records/i18next";
import {
  CHECK_TITLES,
  FIELDS,
  STATUS,
  fieldMessageId,
  fieldOfCheck,
  isActive,
  lastReason,
  problems,
} from "./checks";
import { useLiveValidation } from "./liveValidation";

const checkTitle = (check) => CHECK_TITLES[check.id] || check.id;

export function StatusBadge({ status }) {
  const known = STATUS[status];
  if (!known) {
    return (
      <Label size="small" className="demos-badge demos-badge-none">
        <Icon name="hourglass outline" aria-hidden="true" />
        {i18next.t("Not validated yet")}
      </Label>
    );
  }
  return (
    <Label size="small" className={`demos-badge demos-badge-${status}`}>
      <Icon name={known.icon} loading={known.loading} aria-hidden="true" />
      {known.text}
    </Label>
  );
}

StatusBadge.propTypes = { status: PropTypes.string };
StatusBadge.defaultProps = { status: undefined };

function summary(recordId, state) {
  const status = state?.status;
  if (!recordId) {
    return i18next.t("The registry validates the model once the draft is saved with its file.");
  }
  if (!status) {
    return i18next.t("Upload the model file: the registry validates it.");
  }
  if (status === "pending") {
    return i18next.t("Queued ({{reason}}); this updates by itself.", { reason: lastReason(state) });
  }
  if (status === "running") {
    return i18next.t("Evaluating the model; this updates by itself.");
  }
  const checks = state.report?.checks || [];
  const failed = checks.filter((check) => check.status === "failed").length;
  const warnings = checks.filter((check) => check.status === "warning").length;
  if (status === "passed") {
    return i18next.t("All {{count}} checks passed or did not apply.", { count: checks.length });
  }
  if (status === "failed" && failed > 0) {
    return i18next.t("{{failed}} of {{count}} checks failed; fix them and save again.", {
      failed,
      count: checks.length,
    });
  }
  if (status === "needs_review") {
    return i18next.t("{{warnings}} warning(s): a curator will look at them.", { warnings });
  }
  return lastReason(state);
}

function CheckItem({ check }) {
  const failed = check.status === "failed";
  const field = fieldOfCheck(check.id);
  return (
    <List.Item data-check={check.id} data-check-status={check.status}>
      <Icon
        name={failed ? "times circle" : "warning sign"}
        color={failed ? "red" : "orange"}
        aria-hidden="true"
      />
      <List.Content>
        <List.Header>
          {checkTitle(check)}: {failed ? i18next.t("failed") : i18next.t("warning")}
        </List.Header>
        <List.Description className="demos-check-reason">{check.reason}</List.Description>
        {field && (
          <a href={`#${fieldMessageId(field)}`}>
            {i18next.t("Shown at the field: {{field}}", { field: FIELDS[field].label })}
          </a>
        )}
      </List.Content>
    </List.Item>
  );
}

CheckItem.propTypes = { check: PropTypes.object.isRequired };

/** The side-bar card: status badge, what it means, and the checks that need attention. */
export function ValidationStatusCard() {
  const { recordId, state, unreachable } = useLiveValidation();
  const status = state?.status;
  const found = problems(state);
  return (
    <Card fluid id="demos-validation-live" className="demos-validation-live">
      <Card.Content>
        <Card.Header as="h2" className="ui tiny header">
          {i18next.t("Model validation")}
        </Card.Header>
        <div
          id="demos-validation-live-status"
          role="status"
          aria-live="polite"
          data-status={status || "none"}
          data-updated={state?.updated || ""}
          className="rel-mt-1"
        >
          <StatusBadge status={status} /> <span>{summary(recordId, state)}</span>
          {unreachable && (
            <p className="rel-mt-1">
              {i18next.t("Could not refresh the status; trying again shortly.")}
            </p>
          )}
        </div>
      </Card.Content>
      {found.length > 0 && (
        <Card.Content>
          <List relaxed id="demos-validation-live-checks">
            {found.map((check) => (
              <CheckItem key={check.id} check={check} />
            ))}
          </List>
        </Card.Content>
      )}
    </Card>
  );
}

/** Why the checks about one field failed or warn, shown next to that field. */
export function FieldValidation({ field }) {
  const { state } = useLiveValidation();
  const found = problems(state, field);
  if (found.length === 0) {
    return null;
  }
  const failed = found.some((check) => check.status === "failed");
  return (
    <Message
      id={fieldMessageId(field)}
      className="demos-field-validation"
      negative={failed}
      warning={!failed}
      size="small"
    >
      <Message.Header>
        {failed
          ? i18next.t("Validation failed: {{field}}", { field: FIELDS[field].label })
          : i18next.t("Validation warning: {{field}}", { field: FIELDS[field].label })}
      </Message.Header>
      <Message.List>
        {found.map((check) => (
          <Message.Item key={check.id} data-check={check.id}>
            {checkTitle(check)}: {check.reason}
          </Message.Item>
        ))}
      </Message.List>
    </Message>
  );
}

FieldValidation.propTypes = { field: PropTypes.oneOf(Object.keys(FIELDS)).isRequired };

/**
 * Results of the reference_points check per point (in the order they were declared),
 * for the points of the last verdict; none while a new one is awaited.
 */
export function useReferencePointResults() {
  const { state } = useLiveValidation();
  if (!state || isActive(state)) {
    return [];
  }
  const check = (state.report?.checks || []).find((item) => item.id === "reference_points");
  return check?.details?.points || [];
}
