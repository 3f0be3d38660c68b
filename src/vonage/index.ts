// The vonage/ layer: the Gateway interface, its SDK implementation, the dry-run guard and the request scheduler.

export * from "./gateway.js";
export { createSdkGateway } from "./sdk-gateway.js";
export {
  DEFAULT_API_HOST,
  DEFAULT_REST_HOST,
  DEFAULT_TIMEOUT_MS,
  type RequestInfo,
  type SdkGatewayOptions,
} from "./sdk/sdk-runtime.js";
export { unreadableNumberFields } from "./unreadable-number-fields.js";
export { applicationRequestBody, APPLICATION_REQUEST_SHAPE } from "./application-request.js";
export { createDryRunGateway, createReadOnlyGateway, DryRunWriteError } from "./dry-run-gateway.js";
export {
  DEFAULT_RATE_PER_SECOND,
  describeWait,
  RequestScheduler,
  type RateLimitWait,
  type RequestSchedulerOptions,
  type RunOptions,
  type SchedulerStats,
} from "./request-scheduler.js";
export { AUTH_FAILED_MESSAGE, mapVonageError, type ErrorContext } from "./map-vonage-error.js";
