export { PhoneApp } from './app.js';
export type {
  PhoneAppOptions,
  PhoneAppEvents,
  ClipRecord,
  ClipView,
  DriveView,
  Network,
  BudgetView,
  HoursThatFit,
} from './app.js';
export type { FilledSpan, StreamState } from './device-link.js';
export type { ClipRange } from './clip-shelf.js';
export { DeviceClient, isoToMicros, microsToIso } from './device-client.js';
export type { DeviceStatus, DeviceDrive, DeviceEventJson, DeviceSettingsJson, ClipHeaders } from './device-client.js';
export { CloudClient, newClipId } from './cloud-client.js';
export type { CloudClip, ClipMetadata } from './cloud-client.js';
export { UploadQueue } from './upload-queue.js';
export type { QueueEntry, UploadQueueOptions } from './upload-queue.js';
export { parseBudget, budgetBytes, ringCapacity, DEFAULT_SHARE, DEFAULT_CLIP_RESERVE } from './budget.js';
export { merge, subtract, intersect, hull } from './timeline.js';
export type { Span } from './timeline.js';
export { HttpError, NetworkError } from './http.js';
export { createLiveLink, publishLive, revokeLiveLink } from './live-client.js';
export type { EmergencyContact, LiveLink, NewLiveLink } from './live-client.js';
export type { EmergencySettings } from './emergency.js';
export { eventClipMetadata } from './event-meta.js';
