// Components of InvenioRDM's React apps that the registry overrides.
export const overriddenComponents = {};
