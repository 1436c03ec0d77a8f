// Deposit-form widget of a DEMOS list of free words (tags, search keywords,
// citations): typed entries become labels, Enter adds one. The stock
// "MultiInput" left its search input without a name and nested the field's
// labels; here the label names the input and the help text describes it.
// Loaded through `ui_widget: "DemosMultiInput"` in DEMOS_CUSTOM_FIELDS_UI.
import React from "react";
import PropTypes from "prop-types";
import { getIn, useFormikContext } from "formik";
import { SelectField } from "react-invenio-forms";
import { HelpText, LabelText, fieldIds } from "./fieldLabel";

const asOptions = (values) => (values || []).map((value) => ({ text: value, value, key: value }));

export default function DemosMultiInput({ fieldPath, label, icon, description, placeholder }) {
  const { values } = useFormikContext();
  const ids = fieldIds(fieldPath);
  return (
    <>
      <SelectField
        fieldPath={fieldPath}
        label={<LabelText id={ids.label} icon={icon} label={label} />}
        aria-labelledby={ids.label}
        searchInput={{
          id: ids.input,
          "aria-labelledby": ids.label,
          "aria-describedby": description ? ids.description : undefined,
        }}
        options={asOptions(getIn(values, fieldPath))}
        placeholder={placeholder}
        noResultsMessage={placeholder}
        defaultValue={[]}
        icon={null}
        openOnFocus={false}
        search
        multiple
        clearable
        allowAdditions
      />
      <HelpText id={ids.description} text={description} />
    </>
  );
}

DemosMultiInput.propTypes = {
  fieldPath: PropTypes.string.isRequired,
  label: PropTypes.string,
  icon: PropTypes.string,
  description: PropTypes.string,
  placeholder: PropTypes.string,
};

DemosMultiInput.defaultProps = {
  label: undefined,
  icon: undefined,
  description: undefined,
  placeholder: undefined,
};
