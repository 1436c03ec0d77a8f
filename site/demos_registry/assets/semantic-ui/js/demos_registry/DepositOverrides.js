// The deposit form of a model (registered in overridableRegistry/mapping.js).
//
// Model first: the files, then the DEMOS section (custom fields), then
// InvenioRDM's basic information. What a model rarely needs (recommended
// information, funding, alternate identifiers, related works, references) is
// collapsed, and its repeatable fields start without an empty row, whose
// required sub-fields made optional rows look required (red asterisks).
// InvenioRDM's "Version" is hidden: the DEMOS section's version writes it
// (custom_fields/DemosVersion.js).
//
// The live validation: under InvenioRDM's status card in the side bar, which
// stays as it is but for its Publish button (gated on the verdict,
// PublishGate.js), and right after the files.
import React from "react";
import PropTypes from "prop-types";
import { parametrize } from "react-overridable";
import { AccordionField, CustomFields } from "react-invenio-forms";
import { Card } from "semantic-ui-react";
// Deep imports: this module is part of the overridable registry loaded on every page.
import { severityChecksConfig } from "@js/invenio_app_rdm/deposit/config";
import { DatesField } from "@js/invenio_rdm_records/src/deposit/fields/DatesField/DatesField";
import { IdentifiersField } from "@js/invenio_rdm_records/src/deposit/fields/Identifiers/IdentifiersField";
import { ReferencesField } from "@js/invenio_rdm_records/src/deposit/fields/ReferencesField/ReferencesField";
import { RelatedWorksField } from "@js/invenio_rdm_records/src/deposit/fields/RelatedWorksField/RelatedWorksField";
import { ResourceTypeField } from "@js/invenio_rdm_records/src/deposit/fields/ResourceTypeField/ResourceTypeField";
import { VersionField } from "@js/invenio_rdm_records/src/deposit/fields/VersionField/VersionField";
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

/** After the files: what the registry found in them, then the DEMOS section, loaded as InvenioRDM loads it. */
export function ModelSection({ customFieldsUI, record }) {
  return (
    <>
      <FieldValidation field="files" />
      <CustomFields
        config={customFieldsUI}
        record={record}
        templateLoaders={[
          (widget) => import(`@templates/custom_fields/${widget}.js`),
          (widget) => import(`@js/invenio_rdm_records/src/deposit/customFields`),
          (widget) => import(`react-invenio-forms`),
        ]}
        fieldPathPrefix="custom_fields"
        severityChecks={severityChecksConfig}
      />
    </>
  );
}

ModelSection.propTypes = {
  customFieldsUI: PropTypes.array.isRequired,
  record: PropTypes.object.isRequired,
};

/** In place of InvenioRDM's custom-fields block at the end of the form: ModelSection renders them. */
const CustomFieldsRenderedAfterFiles = () => null;

/** A section of InvenioRDM's form, closed until opened; its title still shows its errors. */
export function CollapsedSection({ includesPaths, severityChecks, label, id, children }) {
  return (
    <AccordionField
      includesPaths={includesPaths}
      severityChecks={severityChecks}
      label={label}
      id={id}
      active={false}
    >
      {children}
    </AccordionField>
  );
}

CollapsedSection.propTypes = {
  includesPaths: PropTypes.array,
  severityChecks: PropTypes.object,
  label: PropTypes.node,
  id: PropTypes.string.isRequired,
  children: PropTypes.node,
};

CollapsedSection.defaultProps = {
  includesPaths: [],
  severityChecks: null,
  label: "",
  children: null,
};

const withoutEmptyRow = (Field) => parametrize(Field, { showEmptyValue: false });

/** InvenioRDM's resource type dropdown, its search input named by the field's label (for=fieldPath). */
function ResourceTypeWithNamedInput(props) {
  const { fieldPath } = props;
  const Original = ResourceTypeField.originalComponent;
  return <Original {...props} searchInput={{ id: fieldPath }} />;
}

ResourceTypeWithNamedInput.propTypes = { fieldPath: PropTypes.string.isRequired };

export const depositFormOverrides = {
  "InvenioAppRdm.Deposit.CardDepositStatusBox.container": DepositStatusWithValidation,
  "InvenioAppRdm.Deposit.Files.after.container": ModelSection,
  "InvenioAppRdm.Deposit.CustomFields.container": CustomFieldsRenderedAfterFiles,
  "InvenioAppRdm.Deposit.AccordionFieldRecommendedInformation.container": CollapsedSection,
  "InvenioAppRdm.Deposit.AccordionFieldFunding.container": CollapsedSection,
  "InvenioAppRdm.Deposit.AccordionFieldAlternateIdentifiers.container": CollapsedSection,
  "InvenioAppRdm.Deposit.AccordionFieldRelatedWorks.container": CollapsedSection,
  "InvenioAppRdm.Deposit.AccordionFieldReferences.container": CollapsedSection,
  "InvenioRdmRecords.DepositForm.DatesField": withoutEmptyRow(DatesField),
  "InvenioRdmRecords.DepositForm.IdentifiersField": withoutEmptyRow(IdentifiersField),
  "InvenioRdmRecords.DepositForm.RelatedWorksField": withoutEmptyRow(RelatedWorksField),
  "InvenioRdmRecords.DepositForm.ReferencesField": withoutEmptyRow(ReferencesField),
  "InvenioRdmRecords.DepositForm.VersionField": parametrize(VersionField, { hidden: true }),
  "InvenioRdmRecords.DepositForm.ResourceTypeField": ResourceTypeWithNamedInput,
};
