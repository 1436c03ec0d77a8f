// Deposit-form widget of `demos:external_references`: rows of scheme,
// identifier and description, checked against the scheme while typing.
// Loaded through `ui_widget: "DemosExternalReferences"` in DEMOS_CUSTOM_FIELDS_UI.
import React from "react";
import PropTypes from "prop-types";
import { getIn, useFormikContext } from "formik";
import { ArrayField, SelectField, TextField } from "react-invenio-forms";
import { Button, Form } from "semantic-ui-react";
import { i18next } from "@translations/invenio_rdm_records/i18next";
import { SCHEMES, identifierError } from "./validation";

function IdentifierField({ fieldPath, scheme, row }) {
  const { values } = useFormikContext();
  return (
    <TextField
      fieldPath={fieldPath}
      label={i18next.t("Identifier")}
      aria-label={`${i18next.t("Identifier")}, ${row}`}
      placeholder={i18next.t("e.g. 10.1103/PhysRevD.109.112006")}
      error={identifierError(scheme, getIn(values, fieldPath))}
      width={6}
      required
    />
  );
}

IdentifierField.propTypes = {
  fieldPath: PropTypes.string.isRequired,
  scheme: PropTypes.string,
  row: PropTypes.string.isRequired,
};

IdentifierField.defaultProps = { scheme: undefined };

export default function DemosExternalReferences({ fieldPath, label, icon, description }) {
  return (
    <ArrayField
      fieldPath={fieldPath}
      label={label}
      labelIcon={icon}
      helpText={description}
      addButtonLabel={i18next.t("Add external reference")}
      addButtonClassName="demos-add-external-reference"
      defaultNewValue={{ scheme: "doi", identifier: "" }}
      className="demos-external-references"
    >
      {({ arrayHelpers, indexPath, value }) => {
        const rowPath = `${fieldPath}.${indexPath}`;
        const row = i18next.t("reference {{number}}", { number: indexPath + 1 });
        return (
          <Form.Group className="demos-external-reference">
            <SelectField
              fieldPath={`${rowPath}.scheme`}
              label={i18next.t("Scheme")}
              aria-label={`${i18next.t("Scheme")}, ${row}`}
              options={SCHEMES}
              search={false}
              width={3}
              required
            />
            <IdentifierField
              fieldPath={`${rowPath}.identifier`}
              scheme={value.scheme}
              row={row}
            />
            <TextField
              fieldPath={`${rowPath}.description`}
              label={i18next.t("Description")}
              aria-label={`${i18next.t("Description")}, ${row}`}
              placeholder={i18next.t("e.g. Publication, likelihood on HEPData")}
              width={6}
            />
            <Form.Field className="demos-row-action">
              <Button
                type="button"
                icon="close"
                basic
                className="demos-remove-row"
                aria-label={i18next.t("Remove {{row}}", { row: row })}
                onClick={() => arrayHelpers.remove(indexPath)}
              />
            </Form.Field>
          </Form.Group>
        );
      }}
    </ArrayField>
  );
}

DemosExternalReferences.propTypes = {
  fieldPath: PropTypes.string.isRequired,
  label: PropTypes.string,
  icon: PropTypes.string,
  description: PropTypes.string,
};

DemosExternalReferences.defaultProps = {
  label: undefined,
  icon: undefined,
  description: undefined,
};
