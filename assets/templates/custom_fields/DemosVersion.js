// Deposit-form widget of the model's version, the one version field of the
// form: what the person types is written to InvenioRDM's `metadata.version`
// (search results, citation, DataCite) and to `demos:model_version` (registry
// entry, models API), so both say the same everywhere. InvenioRDM's own
// Version field is hidden (@js/demos_registry/DepositLayout.js). Loaded through
// `ui_widget: "DemosVersion"` in DEMOS_CUSTOM_FIELDS_UI.
import React from "react";
import PropTypes from "prop-types";
import { getIn, useFormikContext } from "formik";
import { FieldLabel } from "react-invenio-forms";
import { Form, Input, Label } from "semantic-ui-react";
import { HelpText, fieldIds } from "./fieldLabel";
import { errorText } from "./validation";

export const RECORD_VERSION_PATH = "metadata.version";

export default function DemosVersion({ fieldPath, label, icon, placeholder, description }) {
  const { values, errors, initialErrors, setFieldValue, setFieldTouched } = useFormikContext();
  const value = getIn(values, RECORD_VERSION_PATH) || getIn(values, fieldPath) || "";
  const error = errorText(
    getIn(errors, fieldPath) ||
      getIn(errors, RECORD_VERSION_PATH) ||
      getIn(initialErrors, fieldPath) ||
      getIn(initialErrors, RECORD_VERSION_PATH)
  );
  const descriptionId = fieldIds(fieldPath).description;
  const errorId = `${fieldPath}-error`;
  const describedBy = [description && descriptionId, error && errorId].filter(Boolean).join(" ");
  return (
    <Form.Field error={Boolean(error)} className="demos-version">
      <FieldLabel htmlFor={fieldPath} icon={icon} label={label} />
      <Input
        id={fieldPath}
        name={fieldPath}
        value={value}
        placeholder={placeholder}
        aria-invalid={Boolean(error)}
        aria-describedby={describedBy || undefined}
        onChange={(event, data) => {
          const version = data.value.trim() === "" ? undefined : data.value;
          setFieldValue(RECORD_VERSION_PATH, version);
          setFieldValue(fieldPath, version);
        }}
        onBlur={() => setFieldTouched(fieldPath, true, false)}
      />
      <HelpText id={descriptionId} text={description} />
      {error && (
        <Label id={errorId} pointing prompt role="alert">
          {error}
        </Label>
      )}
    </Form.Field>
  );
}

DemosVersion.propTypes = {
  fieldPath: PropTypes.string.isRequired,
  label: PropTypes.string,
  icon: PropTypes.string,
  placeholder: PropTypes.string,
  description: PropTypes.string,
};

DemosVersion.defaultProps = {
  label: undefined,
  icon: undefined,
  placeholder: undefined,
  description: undefined,
};
