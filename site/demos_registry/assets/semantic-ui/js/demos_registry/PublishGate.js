// Publishing a model needs a verdict that allows it: the registry refuses the
// publish of a draft whose validation is pending, running or failed with a 400
// whose error for custom_fields.demos:validation says why and what to do. The
// deposit form says so before the click and, after a refusal, says why:
// - the Publish button of InvenioRDM's side-bar card is disabled while the live
//   validation forbids publishing, with the reason next to it (aria-describedby);
// - the form's banner shows the server's reason. InvenioRDM's FormFeedback shows
//   only a non-field `message`, and demos:validation is no field of the form, so
//   it would fall back to "The draft was not published. Please try again...".
import React from "react";
import PropTypes from "prop-types";
import { useFormikContext } from "formik";
import { useSelector } from "react-redux";
import { Grid, Icon, Message } from "semantic-ui-react";
import { i18next } from "@translations/invenio_rdm_records/i18next";
// Deep imports: this module is part of the overridable registry loaded on every page.
import { PublishButton } from "@js/invenio_rdm_records/src/deposit/controls/PublishButton";
import { FormFeedback } from "@js/invenio_rdm_records/src/deposit/errors/FormFeedback";
import {
  DRAFT_PUBLISH_FAILED,
  DRAFT_PUBLISH_FAILED_WITH_VALIDATION_ERRORS,
  DRAFT_SUBMIT_REVIEW_FAILED,
  DRAFT_SUBMIT_REVIEW_FAILED_WITH_VALIDATION_ERRORS,
} from "@js/invenio_rdm_records/src/deposit/state/types";
import { CHECK_TITLES, isActive, lastReason } from "./checks";
import { useLiveValidation } from "./liveValidation";

export const PUBLISH_BLOCKED_ID = "demos-publish-blocked";
const MODEL_RESOURCE_TYPE = "model";

/** What the server's refusal is about, per failed action: the banner's lead. */
const REFUSED = {
  [DRAFT_PUBLISH_FAILED]: i18next.t("The draft was not published:"),
  [DRAFT_PUBLISH_FAILED_WITH_VALIDATION_ERRORS]: i18next.t("The draft was not published:"),
  [DRAFT_SUBMIT_REVIEW_FAILED]: i18next.t("The draft was not submitted for review:"),
  [DRAFT_SUBMIT_REVIEW_FAILED_WITH_VALIDATION_ERRORS]: i18next.t(
    "The draft was not submitted for review:"
  ),
};

/**
 * Why the draft may not be published yet, or null when it may: the server
 * checks models with files (custom_fields/components.py, refuse_unvalidated).
 */
export function publishBlockReason(state, resourceType) {
  const status = state?.status;
  if (resourceType !== MODEL_RESOURCE_TYPE || !status) {
    return null;
  }
  if (isActive(state)) {
    return i18next.t(
      "Publishing waits for the model validation (status: {{status}}); Publish is enabled once it passes.",
      { status }
    );
  }
  if (status === "failed") {
    const failed = (state.report?.checks || [])
      .filter((check) => check.status === "failed")
      .map((check) => CHECK_TITLES[check.id] || check.id);
    return i18next.t(
      "Validation failed ({{what}}): fix the model or its reference points and save, or ask a curator to override with a reason.",
      { what: failed.length > 0 ? failed.join(", ") : lastReason(state) }
    );
  }
  return null;
}

const idOf = (value) => (typeof value === "object" ? value?.id : value);

/** InvenioRDM's Publish button, disabled with the reason next to it while the verdict forbids it. */
export function GatedPublishButton(props) {
  const { state } = useLiveValidation();
  const { values } = useFormikContext();
  // Submitting for review stays possible: a curator may override a failed verdict.
  const forReview = useSelector(
    (store) => store.deposit.editorState?.ui?.showSubmitForReviewButton
  );
  const reason = forReview
    ? null
    : publishBlockReason(state, idOf(values?.metadata?.resource_type));
  if (!reason) {
    return <PublishButton {...props} />;
  }
  return (
    <>
      <PublishButton {...props} disabled aria-describedby={PUBLISH_BLOCKED_ID} />
      <p id={PUBLISH_BLOCKED_ID} className="demos-publish-blocked">
        <Icon name="lock" aria-hidden="true" />
        {reason}
      </p>
    </>
  );
}

/** Children of InvenioRDM's side-bar card with its Publish button replaced by the gated one. */
export function withPublishGate(children) {
  return React.Children.map(children, (child) => {
    if (!React.isValidElement(child)) {
      return child;
    }
    if (child.type === PublishButton) {
      return <GatedPublishButton key={child.key} {...child.props} />;
    }
    const inner = child.props.children;
    if (inner === undefined || typeof inner === "function") {
      return child;
    }
    return React.cloneElement(child, undefined, withPublishGate(inner));
  });
}

/** The server's message for custom_fields.demos:validation in the form's errors, if any. */
function validationRefusal(errors) {
  const error = errors?.custom_fields?.["demos:validation"];
  if (Array.isArray(error)) {
    return error.join(" ");
  }
  return typeof error === "object" ? error?.message : error;
}

/** The form's banner: the server's reason when it refused to publish, else InvenioRDM's feedback. */
export function DepositFeedback(props) {
  const actionState = useSelector((store) => store.deposit.actionState);
  const errors = useSelector((store) => store.deposit.errors);
  const reason = REFUSED[actionState] && validationRefusal(errors);
  if (!reason) {
    return <FormFeedback {...props} />;
  }
  return (
    <Message
      visible
      negative
      role="alert"
      className="flashed top attached"
      id="negative-feedback-div"
      data-refusal="demos:validation"
    >
      <Grid container>
        <Grid.Column width={15} textAlign="left">
          <strong>
            <Icon name="times circle" aria-hidden="true" /> {REFUSED[actionState]}{" "}
          </strong>
          <span className="demos-refusal-reason">{reason}</span>
        </Grid.Column>
      </Grid>
    </Message>
  );
}

DepositFeedback.propTypes = {
  labels: PropTypes.object,
  sectionsConfig: PropTypes.object,
};

DepositFeedback.defaultProps = {
  labels: undefined,
  sectionsConfig: undefined,
};
