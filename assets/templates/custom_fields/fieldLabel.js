// Labels of the DEMOS widgets that assistive technology reads: a dropdown's
// label names its search input (aria-labelledby; a <label for> cannot point
// into Semantic UI's dropdown) and is a single <label>, not InvenioRDM's
// FieldLabel wrapped into the field's own label (nested labels). The DEMOS
// dropdowns open when typed into, not on focus: Chrome makes an open, scrolling
// menu a Tab stop, which the menu's closing on blur then removed (focus fell to
// <body> after the Collaboration field).
import React from "react";
import PropTypes from "prop-types";
import { Icon } from "semantic-ui-react";

/** Element ids of a field's label, search input and description. */
export const fieldIds = (fieldPath) => ({
  label: `${fieldPath}-label`,
  input: `${fieldPath}-input`,
  description: `${fieldPath}-description`,
});

/** The text of a field's label, with its icon, under an id the input refers to. */
export function LabelText({ id, icon, label }) {
  return (
    <span id={id}>
      {icon && <Icon name={icon} aria-hidden="true" />}
      {label}
    </span>
  );
}

LabelText.propTypes = {
  id: PropTypes.string.isRequired,
  icon: PropTypes.string,
  label: PropTypes.string,
};

LabelText.defaultProps = { icon: undefined, label: undefined };

/** Help text under a field, referred to by the field's aria-describedby. */
export function HelpText({ id, text }) {
  return text ? (
    <p className="helptext" id={id}>
      {text}
    </p>
  ) : null;
}

HelpText.propTypes = { id: PropTypes.string.isRequired, text: PropTypes.string };
HelpText.defaultProps = { text: undefined };
