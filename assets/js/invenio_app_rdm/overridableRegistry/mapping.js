// Components of InvenioRDM's React apps that the registry overrides.
import { DemosResultDescription } from "./DemosResultDescription";

export const overriddenComponents = {
  "InvenioAppRdm.Search.RecordsResultsListItem.description": DemosResultDescription,
};
