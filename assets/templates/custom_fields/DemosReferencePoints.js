// Deposit-form widget of `demos:reference_points`: an editable table with one
// row per parameter point (label, parameters as name=value pairs, expected
// −2 ln L, rtol, atol). Loaded by the custom-fields loader through
// `ui_widget: "DemosReferencePoints"` in DEMOS_CUSTOM_FIELDS_UI. The registry's
// verdict on the points (live, see @js/demos_registry) is shown under the table,
// and a point it found off is marked in its row with the value it measured.
import React, { useEffect, useState } from "react";
import PropTypes from "prop-types";
import { FieldArray, getIn, useFormikContext } from "formik";
import { FieldLabel, TextField } from "react-invenio-forms";
import { Button, Form, Icon, Label, Table } from "semantic-ui-react";
import { i18next } from "@translations/invenio_rdm_records/i18next";
import {
  FieldValidation,
  useReferencePointResults,
} from "@js/demos_registry/ValidationStatus";
import { errorText, isNumber, numberError } from "./validation";

/** "mu=1, theta=0.5" → {parameters, problem}; non-numbers are kept for the server to name. */
export function parseParameters(text) {
  const parameters = {};
  const problems = [];
  for (const chunk of text.split(/[,;\n]/)) {
    const pair = chunk.trim();
    if (pair === "") {
      continue;
    }
    const equals = pair.indexOf("=");
    const name = (equals < 0 ? pair : pair.slice(0, equals)).trim();
    const raw = equals < 0 ? "" : pair.slice(equals + 1).trim();
    if (equals < 0 || name === "") {
      problems.push(
        i18next.t('Write "{{pair}}" as name=value.', { pair: pair })
      );
    } else if (name in parameters) {
      problems.push(i18next.t("{{name}} is given twice.", { name: name }));
    } else if (!isNumber(raw)) {
      problems.push(i18next.t("{{name}}: must be a number.", { name: name }));
    }
    parameters[name] = isNumber(raw) ? Number(raw) : raw;
  }
  return { parameters, problem: problems.join(" ") || undefined };
}

export const formatParameters = (parameters) =>
  Object.entries(parameters || {})
    .map(([name, value]) => `${name}=${value}`)
    .join(", ");

const sameParameters = (a, b) =>
  JSON.stringify(Object.entries(a || {}).map(([k, v]) => [k, String(v)])) ===
  JSON.stringify(Object.entries(b || {}).map(([k, v]) => [k, String(v)]));

/** Text input for the parameters dict: keeps what the person typed, stores the parsed dict. */
function ParametersInput({ fieldPath, ariaLabel }) {
  const { values, errors, initialErrors, touched, setFieldValue, setFieldTouched } =
    useFormikContext();
  const value = getIn(values, fieldPath);
  const [text, setText] = useState(formatParameters(value));

  // A new value from outside (draft reloaded after save) replaces the text,
  // unless it is what the text already says.
  useEffect(() => {
    if (!sameParameters(parseParameters(text).parameters, value)) {
      setText(formatParameters(value));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [JSON.stringify(value)]);

  const { problem } = parseParameters(text);
  const serverError = errorText(
    getIn(errors, fieldPath) ||
      (!getIn(touched, fieldPath) && getIn(initialErrors, fieldPath))
  );
  const error = problem || serverError;
  const errorId = `${fieldPath}-error`;
  return (
    <Form.Field error={Boolean(error)}>
      <input
        id={fieldPath}
        name={fieldPath}
        type="text"
        value={text}
        placeholder="mu=1, theta=0"
        aria-label={ariaLabel}
        aria-invalid={Boolean(error)}
        aria-describedby={error ? errorId : undefined}
        onChange={(event) => {
          setText(event.target.value);
          setFieldValue(fieldPath, parseParameters(event.target.value).parameters);
        }}
        onBlur={() => setFieldTouched(fieldPath, true, false)}
      />
      {error && (
        <Label id={errorId} pointing prompt role="alert">
          {error}
        </Label>
      )}
    </Form.Field>
  );
}

ParametersInput.propTypes = {
  fieldPath: PropTypes.string.isRequired,
  ariaLabel: PropTypes.string.isRequired,
};

/** A number cell: empty input removes the key, so optional numbers are simply absent. */
function NumberCell({ fieldPath, ariaLabel, nonNegative, placeholder }) {
  const { values, setFieldValue } = useFormikContext();
  const value = getIn(values, fieldPath);
  return (
    <TextField
      fieldPath={fieldPath}
      label={null}
      aria-label={ariaLabel}
      inputMode="decimal"
      placeholder={placeholder}
      value={value ?? ""}
      onChange={(event, data) =>
        setFieldValue(fieldPath, data.value === "" ? undefined : data.value)
      }
      error={numberError(value, { nonNegative })}
    />
  );
}

NumberCell.propTypes = {
  fieldPath: PropTypes.string.isRequired,
  ariaLabel: PropTypes.string.isRequired,
  nonNegative: PropTypes.bool,
  placeholder: PropTypes.string,
};

NumberCell.defaultProps = { nonNegative: false, placeholder: undefined };

/** The registry's result for a row, if the row still holds the point it evaluated. */
function resultOfRow(results, index, point) {
  const result = results[index];
  const sameExpected = result && isNumber(point.expected) && Number(point.expected) === result.expected;
  return sameExpected && sameParameters(result.parameters, point.parameters) ? result : undefined;
}

const formatMeasured = (value) => Number(value.toPrecision(8)).toString();

export default function DemosReferencePoints({ fieldPath, label, icon, description }) {
  const { values, errors, initialErrors } = useFormikContext();
  const results = useReferencePointResults();
  const [nextKey, setNextKey] = useState(-1);
  // The row just added, whose first input takes the focus once it is rendered (keyboard users).
  const [addedRow, setAddedRow] = useState(undefined);
  const points = getIn(values, fieldPath) || [];
  const descriptionId = `${fieldPath}-description`;
  // An error about the list as a whole (not one of its cells), e.g. "required".
  const listError = getIn(errors, fieldPath) || getIn(initialErrors, fieldPath);

  useEffect(() => {
    const input = addedRow !== undefined && document.getElementById(`${fieldPath}.${addedRow}.label`);
    if (input) {
      input.focus();
      setAddedRow(undefined);
    }
  }, [addedRow, fieldPath, points.length]);

  return (
    <Form.Field className="demos-reference-points">
      <FieldLabel icon={icon} label={label} />
      {description && (
        <label className="helptext" id={descriptionId}>
          {description}
        </label>
      )}
      <FieldArray name={fieldPath}>
        {({ push, remove }) => (
          <>
            {points.length > 0 && (
              <Table
                id={`${fieldPath}-table`}
                aria-label={label}
                aria-describedby={description ? descriptionId : undefined}
                compact
                celled
              >
                <Table.Header>
                  <Table.Row>
                    <Table.HeaderCell scope="col">{i18next.t("Label")}</Table.HeaderCell>
                    <Table.HeaderCell scope="col">
                      {i18next.t("Parameters (name=value, …)")}
                    </Table.HeaderCell>
                    <Table.HeaderCell scope="col">
                      {i18next.t("Expected −2 ln L")}
                    </Table.HeaderCell>
                    <Table.HeaderCell scope="col">rtol</Table.HeaderCell>
                    <Table.HeaderCell scope="col">atol</Table.HeaderCell>
                    <Table.HeaderCell scope="col">
                      <span className="sr-only">{i18next.t("Actions")}</span>
                    </Table.HeaderCell>
                  </Table.Row>
                </Table.Header>
                <Table.Body>
                  {points.map((point, index) => {
                    const rowPath = `${fieldPath}.${index}`;
                    const row = i18next.t("point {{number}}", { number: index + 1 });
                    const result = resultOfRow(results, index, point);
                    const off = result?.passed === false;
                    return (
                      <Table.Row
                        key={point.__key ?? index}
                        verticalAlign="top"
                        negative={off}
                        data-validation={result ? (off ? "failed" : "passed") : undefined}
                      >
                        <Table.Cell width={3}>
                          <TextField
                            fieldPath={`${rowPath}.label`}
                            label={null}
                            aria-label={`${i18next.t("Label")}, ${row}`}
                            placeholder={i18next.t("e.g. nominal")}
                          />
                        </Table.Cell>
                        <Table.Cell width={5}>
                          <ParametersInput
                            fieldPath={`${rowPath}.parameters`}
                            ariaLabel={`${i18next.t("Parameters")}, ${row}`}
                          />
                        </Table.Cell>
                        <Table.Cell width={3}>
                          <NumberCell
                            fieldPath={`${rowPath}.expected`}
                            ariaLabel={`${i18next.t("Expected −2 ln L")}, ${row}`}
                          />
                          {off && typeof result.measured === "number" && (
                            <small className="demos-measured">
                              {i18next.t("The registry measured {{value}}", {
                                value: formatMeasured(result.measured),
                              })}
                            </small>
                          )}
                        </Table.Cell>
                        <Table.Cell width={2}>
                          <NumberCell
                            fieldPath={`${rowPath}.rtol`}
                            ariaLabel={`rtol, ${row}`}
                            placeholder="1e-5"
                            nonNegative
                          />
                        </Table.Cell>
                        <Table.Cell width={2}>
                          <NumberCell
                            fieldPath={`${rowPath}.atol`}
                            ariaLabel={`atol, ${row}`}
                            placeholder="0"
                            nonNegative
                          />
                        </Table.Cell>
                        <Table.Cell width={1} textAlign="center">
                          <Button
                            type="button"
                            icon="close"
                            basic
                            aria-label={i18next.t("Remove {{row}}", { row: row })}
                            onClick={() => remove(index)}
                          />
                        </Table.Cell>
                      </Table.Row>
                    );
                  })}
                </Table.Body>
              </Table>
            )}
            <FieldValidation field="reference_points" />
            {typeof listError === "string" && (
              <Label pointing="below" prompt role="alert">
                {listError}
              </Label>
            )}
            <Button
              type="button"
              icon
              labelPosition="left"
              className="demos-add-reference-point"
              onClick={() => {
                push({ parameters: {}, __key: nextKey });
                setNextKey(nextKey - 1);
                setAddedRow(points.length);
              }}
            >
              <Icon name="add" />
              {i18next.t("Add reference point")}
            </Button>
          </>
        )}
      </FieldArray>
    </Form.Field>
  );
}

DemosReferencePoints.propTypes = {
  fieldPath: PropTypes.string.isRequired,
  label: PropTypes.string,
  icon: PropTypes.string,
  description: PropTypes.string,
};

DemosReferencePoints.defaultProps = {
  label: undefined,
  icon: undefined,
  description: undefined,
};
