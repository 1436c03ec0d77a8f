// Components of InvenioRDM's React apps that the registry overrides.
import { depositFormOverrides } from "@js/demos_registry/DepositOverrides";
import { DepositFeedback } from "@js/demos_registry/PublishGate";
import { DemosResultDescription } from "./DemosResultDescription";

export const overriddenComponents = {
  ...depositFormOverrides,
  "InvenioAppRdm.Search.RecordsResultsListItem.description": DemosResultDescription,
  "InvenioAppRdm.Deposit.FormFeedback.container": DepositFeedback,
};
