// Deposit-form widget of `demos:domain`: the vocabulary dropdown (DemosSelect),
// and under it what the domain means for the submission: its community is
// preselected, and another community chosen by hand is pointed out
// (@js/demos_registry/DomainCommunity). Loaded through
// `ui_widget: "DemosDomain"` in DEMOS_CUSTOM_FIELDS_UI.
import React from "react";
import PropTypes from "prop-types";
import { DomainCommunity } from "@js/demos_registry/DomainCommunity";
import DemosSelect from "./DemosSelect";

export default function DemosDomain(props) {
  const { fieldPath } = props;
  return (
    <>
      <DemosSelect {...props} />
      <DomainCommunity fieldPath={fieldPath} />
    </>
  );
}

DemosDomain.propTypes = { fieldPath: PropTypes.string.isRequired };
