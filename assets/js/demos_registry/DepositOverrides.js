// The deposit form's places for the live validation (registered in
// overridableRegistry/mapping.js): under InvenioRDM's own status card in the
// side bar, which stays as it is but for its Publish button (gated on the
// verdict, PublishGate.js), and right after the files.
import React from "react";
import PropTypes from "prop-types";
import { Card } from "semantic-ui-react";
import { withPublishGate } from "./PublishGate";
import { FieldValidation, ValidationStatusCard } from "./ValidationStatus";

/** InvenioRDM's status card (its content, Publish gated) followed by the validation card. */
export function DepositStatusWithValidation({ children }) {
  return (
    <>
      <Card>{withPublishGate(children)}</Card>
      <ValidationStatusCard />
    </>
  );
}

DepositStatusWithValidation.propTypes = { children: PropTypes.node };
DepositStatusWithValidation.defaultProps = { children: null };

export function FilesValidation() {
  return <FieldValidation field="files" />;
}
