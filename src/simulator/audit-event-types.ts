// The Audit API's event types (audit.yml 1.0.4 enum) with the descriptions OPTIONS /beta/audit/events returns.
// The spec has no subaccount types, so subaccount creation is recorded as USER_CREATE and suspension as
// USER_STATUS, each with `context.subaccount_api_key` (documented in docs/simulator.md).

export const AUDIT_EVENT_TYPES = {
  USER_STATUS: "User status updated",
  USER_UPDATE: "User updated",
  USER_BILLING_UPDATE: "User billing updated",
  USER_CREATE: "User created",
  USER_LOGIN: "User login",
  USER_LOGOUT: "User logout",
  USER_PRODUCT_SEARCH: "User product search",
  USER_API_KEYS_UPDATE: "User API keys updated",
  ACCOUNT_SECRET_DELETE: "Account secret deleted",
  ACCOUNT_SECRET_CREATE: "Account secret created",
  ACCOUNT_UPDATE_SPAMMER: "Account updated as spammer",
  ACCOUNT_UPDATE_SETTINGS_API: "Account settings updated via API",
  NUMBER_ASSIGN: "Number assigned",
  NUMBER_UPDATED: "Number updated",
  NUMBER_RELEASE: "Number released",
  NUMBER_LINKED: "Number linked",
  NUMBER_UNLINKED: "Number unlinked",
  APP_CREATE: "Application created",
  APP_UPDATE: "Application updated",
  APP_DELETE: "Application deleted",
  APP_DISABLE: "Application disabled",
  APP_ENABLE: "Application enabled",
  IP_WHITELIST_CREATE: "IP whitelist created",
  IP_WHITELIST_DELETE: "IP whitelist deleted",
  AUTORELOAD_ENABLE: "Auto-reload enabled",
  AUTORELOAD_UPDATE: "Auto-reload updated",
  AUTORELOAD_DISABLE: "Auto-reload disabled",
} as const;

export type AuditEventType = keyof typeof AUDIT_EVENT_TYPES;
