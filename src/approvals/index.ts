export type { Approval, NewApproval, OwnerNotifier } from './approvals.js'
export { Approvals } from './approvals.js'
export type { OwnerChannel } from './webhook-notifier.js'
export { WebhookNotifier } from './webhook-notifier.js'
