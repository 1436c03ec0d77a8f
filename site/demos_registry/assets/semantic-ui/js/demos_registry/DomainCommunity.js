// The community of a model follows its physics domain: every domain has a
// community `demos-<domain>` (site/demos_registry/communities.py) whose
// curators review its models. Choosing the domain preselects that community in
// the form's community header when the person has chosen none (or the one
// preselected for an earlier choice of domain); another community chosen by
// hand stays, with a warning and a button to submit to the domain's community.
import React, { useEffect, useRef, useState } from "react";
import PropTypes from "prop-types";
import { getIn, useFormikContext } from "formik";
import { useDispatch, useSelector } from "react-redux";
import { http } from "react-invenio-forms";
import { Button, Icon, Message } from "semantic-ui-react";
import { i18next } from "@translations/invenio_rdm_records/i18next";
import { changeSelectedCommunity } from "@js/invenio_rdm_records/src/deposit/state/actions";

export const domainCommunitySlug = (domain) => `demos-${domain}`;

const idOf = (value) => (typeof value === "object" && value !== null ? value.id : value);

async function fetchCommunity(slug) {
  const response = await http.get(`/api/communities/${slug}`, {
    headers: { Accept: "application/vnd.inveniordm.v1+json" },
  });
  return response.data;
}

export function DomainCommunity({ fieldPath }) {
  const { values } = useFormikContext();
  const dispatch = useDispatch();
  const selected = useSelector((state) => state.deposit.editorState.selectedCommunity);
  const editable = useSelector(
    (state) =>
      state.deposit.editorState.ui.showCommunitySelectionButton &&
      !state.deposit.editorState.ui.disableCommunitySelectionButton
  );
  const [domainCommunity, setDomainCommunity] = useState(undefined);
  const preselected = useRef(undefined);
  const domain = idOf(getIn(values, fieldPath));
  const wanted = domain ? domainCommunitySlug(domain) : undefined;

  useEffect(() => {
    let current = true;
    setDomainCommunity(undefined);
    if (wanted) {
      fetchCommunity(wanted)
        .then((community) => current && setDomainCommunity(community))
        .catch(() => {}); // no such community: nothing to suggest
    }
    return () => {
      current = false;
    };
  }, [wanted]);

  const choose = (community) => {
    preselected.current = community.slug;
    dispatch(changeSelectedCommunity(community));
  };

  useEffect(() => {
    const untouched = selected === undefined || selected?.slug === preselected.current;
    if (editable && domainCommunity && untouched && selected?.slug !== domainCommunity.slug) {
      choose(domainCommunity);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [domainCommunity]);

  if (!domainCommunity || !selected || selected.slug === domainCommunity.slug) {
    return null;
  }
  return (
    <Message warning visible size="small" id="demos-community-mismatch" role="status">
      <Icon name="exclamation triangle" aria-hidden="true" />
      {i18next.t(
        "The community of the model's domain is {{domain}}; it is submitted to {{community}} instead.",
        {
          domain: domainCommunity.metadata.title,
          community: selected.metadata?.title,
        }
      )}{" "}
      {editable && (
        <Button type="button" size="mini" onClick={() => choose(domainCommunity)}>
          {i18next.t("Submit to {{community}}", { community: domainCommunity.metadata.title })}
        </Button>
      )}
    </Message>
  );
}

DomainCommunity.propTypes = { fieldPath: PropTypes.string.isRequired };
