// The draft's `demos:validation` state, kept live for every part of the
// deposit form that shows it (the side-bar panel, the messages at the fields).
//
// The form holds the state the server returned when the draft was last saved
// (redux `deposit.record`); the registry moves it on in a Celery task. While it
// is pending or running, GET /api/records/<id>/validation is polled every few
// seconds. Polling stops at a verdict and starts again when a save, an upload
// or a refused publish may have queued a new validation. One poller serves all
// components (module state): the form edits one draft.
import { useEffect, useState } from "react";
import { useSelector } from "react-redux";
import { http } from "react-invenio-forms";
import {
  DRAFT_PUBLISH_FAILED,
  DRAFT_SUBMIT_REVIEW_FAILED,
} from "@js/invenio_rdm_records/src/deposit/state/types";
import { isActive } from "./checks";

export const POLL_INTERVAL_MS = 2000;
const RETRY_INTERVAL_MS = 10000;
const REFUSALS = [DRAFT_PUBLISH_FAILED, DRAFT_SUBMIT_REVIEW_FAILED];

let snapshot = { recordId: undefined, state: undefined, unreachable: false };
let knownFiles;
let knownAction;
let timer;
const listeners = new Set();

const historyLength = (state) => state?.history?.length || 0;

/** Whether candidate is a later state than known: the decision trail only grows. */
function isNewer(candidate, known) {
  if (!candidate?.status) {
    return false;
  }
  const grown = historyLength(candidate) - historyLength(known);
  return grown > 0 || (grown === 0 && (candidate.updated || "") > (known?.updated || ""));
}

function publish(changes) {
  snapshot = { ...snapshot, ...changes };
  listeners.forEach((listener) => listener(snapshot));
}

function schedule(delay) {
  clearTimeout(timer);
  timer = undefined;
  if (listeners.size > 0 && snapshot.recordId && isActive(snapshot.state)) {
    timer = setTimeout(fetchState, delay);
  }
}

async function fetchState() {
  const { recordId } = snapshot;
  try {
    const response = await http.get(`/api/records/${recordId}/validation`, {
      headers: { Accept: "application/json" },
    });
    if (recordId !== snapshot.recordId) {
      return;
    }
    publish({
      state: isNewer(response.data, snapshot.state) ? response.data : snapshot.state,
      unreachable: false,
    });
    schedule(POLL_INTERVAL_MS);
  } catch (error) {
    if (recordId === snapshot.recordId) {
      publish({ unreachable: true });
      schedule(RETRY_INTERVAL_MS);
    }
  }
}

/** Take the state of a save response if it is newer, and poll while it is not final. */
function follow(recordId, savedState) {
  if (recordId !== snapshot.recordId) {
    publish({ recordId, state: undefined, unreachable: false });
  }
  if (isNewer(savedState, snapshot.state)) {
    publish({ state: savedState });
    schedule(POLL_INTERVAL_MS);
  } else if (!timer) {
    schedule(POLL_INTERVAL_MS);
  }
}

/** An upload or a deletion queues a validation on the server: ask for the state now. */
function filesChanged(files) {
  if (files === knownFiles) {
    return;
  }
  const first = knownFiles === undefined;
  knownFiles = files;
  if (!first && snapshot.recordId) {
    clearTimeout(timer);
    fetchState();
  }
}

/**
 * Publishing (or submitting) saves the draft first, and InvenioRDM keeps that save's
 * response out of the form when the publish is then refused: the saved inputs may have
 * queued a validation the form does not know of. Ask for the state now.
 */
function actionChanged(actionState) {
  if (actionState === knownAction) {
    return;
  }
  knownAction = actionState;
  if (REFUSALS.includes(actionState) && snapshot.recordId) {
    clearTimeout(timer);
    fetchState();
  }
}

/** "name:checksum|…" of the uploaded files; changes when a file is added, replaced or removed. */
const uploadedFiles = (entries) =>
  Object.values(entries || {})
    .filter((entry) => entry.status === "finished")
    .map((entry) => `${entry.name}:${entry.checksum}`)
    .sort()
    .join("|");

/**
 * The live validation of the draft being edited: {recordId, state, unreachable}.
 * Must be rendered inside the deposit form (its redux store).
 */
export function useLiveValidation() {
  const recordId = useSelector((store) => store.deposit.record?.id);
  const savedState = useSelector(
    (store) => store.deposit.record?.custom_fields?.["demos:validation"]
  );
  const files = useSelector((store) => uploadedFiles(store.files?.entries));
  const actionState = useSelector((store) => store.deposit.actionState);
  const [current, setCurrent] = useState(snapshot);

  useEffect(() => {
    listeners.add(setCurrent);
    setCurrent(snapshot);
    return () => {
      listeners.delete(setCurrent);
      if (listeners.size === 0) {
        clearTimeout(timer);
        timer = undefined;
      }
    };
  }, []);

  useEffect(() => {
    if (recordId) {
      follow(recordId, savedState);
    }
  }, [recordId, savedState]);

  useEffect(() => {
    filesChanged(files);
  }, [files]);

  useEffect(() => {
    actionChanged(actionState);
  }, [actionState]);

  return current;
}
