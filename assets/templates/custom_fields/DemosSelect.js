// Deposit-form widget of a DEMOS vocabulary field (domain, collaboration,
// engine, format): a searchable dropdown of the vocabulary's entries whose
// search input is named by the field's label and described by its help text,
// without the ARIA misuse of the stock "Dropdown" widget (a placeholder with
// role "option" inside a combobox, nested labels). Loaded through
// `ui_widget: "DemosSelect"` in DEMOS_CUSTOM_FIELDS_UI; the options are the
// vocabulary's (`dump_options`).
import React from "react";
import PropTypes from "prop-types";
import { SelectField } from "react-invenio-forms";
import { HelpText, LabelText, fieldIds } from "./fieldLabel";

const vocabularyOptions = (options) =>
  (options || []).map((option) => ({ text: option.title_l10n, value: option.id, key: option.id }));

export default function DemosSelect({
  fieldPath,
  label,
  icon,
  description,
  placeholder,
  options,
  required,
  clearable,
}) {
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
        options={vocabularyOptions(options)}
        placeholder={placeholder}
        required={required}
        clearable={clearable}
        openOnFocus={false}
        search
      />
      <HelpText id={ids.description} text={description} />
    </>
  );
}

DemosSelect.propTypes = {
  fieldPath: PropTypes.string.isRequired,
  label: PropTypes.string,
  icon: PropTypes.string,
  description: PropTypes.string,
  placeholder: PropTypes.string,
  options: PropTypes.array,
  required: PropTypes.bool,
  clearable: PropTypes.bool,
};

DemosSelect.defaultProps = {
  label: undefined,
  icon: undefined,
  description: undefined,
  placeholder: undefined,
  options: [],
  required: false,
  clearable: true,
};
