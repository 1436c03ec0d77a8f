// The deposit form's places for the live validation (registered in
// overridableRegistry/mapping.js): under InvenioRDM's own status card in the
// side bar, which stays as it is, and right after the files.
import React from "react";
import PropTypes from "prop-types";
import { Card } from "semantic-ui-react";
import { FieldValidation, ValidationStatusCard } from "./ValidationStatus";

/** InvenioRDM's status card (its content passed through) followed by the validation card. */
export function DepositStatusWithValidation({ children }) {
  return (
    <>
      <Card>{children}</Card>
      <ValidationStatusCard />
    </>
  );
}

DepositStatusWithValidation.propTypes = { children: PropTypes.node };
DepositStatusWithValidation.defaultProps = { children: null };

export function FilesValidation() {
  return <FieldValidation field="files" />;
}
