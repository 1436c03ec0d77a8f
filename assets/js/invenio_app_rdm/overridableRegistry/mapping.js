// Components of InvenioRDM's React apps that the registry overrides.
import {
  DepositStatusWithValidation,
  FilesValidation,
} from "@js/demos_registry/DepositOverrides";
import { DepositFeedback } from "@js/demos_registry/PublishGate";
import { DemosResultDescription } from "./DemosResultDescription";

export const overriddenComponents = {
  "InvenioAppRdm.Search.RecordsResultsListItem.description": DemosResultDescription,
  "InvenioAppRdm.Deposit.CardDepositStatusBox.container": DepositStatusWithValidation,
  "InvenioAppRdm.Deposit.FormFeedback.container": DepositFeedback,
  "InvenioAppRdm.Deposit.Files.after.container": FilesValidation,
};
