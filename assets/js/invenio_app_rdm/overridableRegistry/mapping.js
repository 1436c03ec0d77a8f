// Components of InvenioRDM's React apps that the registry overrides.
import {
  DepositStatusWithValidation,
  FilesValidation,
} from "@js/demos_registry/DepositOverrides";
import { DemosResultDescription } from "./DemosResultDescription";

export const overriddenComponents = {
  "InvenioAppRdm.Search.RecordsResultsListItem.description": DemosResultDescription,
  "InvenioAppRdm.Deposit.CardDepositStatusBox.container": DepositStatusWithValidation,
  "InvenioAppRdm.Deposit.Files.after.container": FilesValidation,
};
