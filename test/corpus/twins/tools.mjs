// Tool definitions shaped like real MCP servers' `tools/list` (names, descriptions, schemas as those servers
// write them; some with MCP annotations, some without, as the servers ship them). Hand-written for the twin
// corpus: no tool here was used while the detectors were developed.

const str = (description) => (description ? { type: 'string', description } : { type: 'string' })
const obj = (properties, required = Object.keys(properties)) => ({ type: 'object', properties, required })
const ro = { readOnlyHint: true }
const rw = { readOnlyHint: false }
const rwOpen = { readOnlyHint: false, openWorldHint: true }
const rwClosed = { readOnlyHint: false, openWorldHint: false }
const destructive = { readOnlyHint: false, destructiveHint: true }

/** The official filesystem server (annotated). */
export const filesystem = [
  {
    name: 'read_text_file',
    description:
      'Read the complete contents of a file from the file system as text. Handles various text encodings and provides detailed error messages if the file cannot be read. Only works within allowed directories.',
    inputSchema: obj({ path: str(), head: { type: 'number' }, tail: { type: 'number' } }, ['path']),
    annotations: ro,
  },
  {
    name: 'write_file',
    description:
      'Create a new file or completely overwrite an existing file with new content. Use with caution as it will overwrite existing files without warning. Only works within allowed directories.',
    inputSchema: obj({ path: str(), content: str() }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  },
  {
    name: 'edit_file',
    description:
      'Make line-based edits to a text file. Each edit replaces exact line sequences with new content. Returns a git-style diff showing the changes made. Only works within allowed directories.',
    inputSchema: obj(
      {
        path: str(),
        edits: {
          type: 'array',
          items: obj({ oldText: str('Text to search for'), newText: str('Text to replace with') }),
        },
        dryRun: { type: 'boolean' },
      },
      ['path', 'edits'],
    ),
    annotations: { readOnlyHint: false, destructiveHint: true },
  },
  {
    name: 'list_directory',
    description:
      'Get a detailed listing of all files and directories in a specified path. Results clearly distinguish between files and directories with [FILE] and [DIR] prefixes.',
    inputSchema: obj({ path: str() }),
    annotations: ro,
  },
  {
    name: 'move_file',
    description:
      'Move or rename files and directories. Can move files between directories and rename them in a single operation.',
    inputSchema: obj({ source: str(), destination: str() }),
    annotations: { readOnlyHint: false, destructiveHint: false },
  },
]

/** A GitHub server (no annotations, as older servers ship). */
export const github = [
  {
    name: 'get_file_contents',
    description: 'Get the contents of a file or directory from a GitHub repository',
    inputSchema: obj(
      {
        owner: str('Repository owner'),
        repo: str('Repository name'),
        path: str('Path to the file'),
        branch: str(),
      },
      ['owner', 'repo', 'path'],
    ),
  },
  {
    name: 'get_issue',
    description: 'Get details of a specific issue in a GitHub repository.',
    inputSchema: obj({ owner: str(), repo: str(), issue_number: { type: 'number' } }),
  },
  {
    name: 'add_issue_comment',
    description: 'Add a comment to an existing issue',
    inputSchema: obj({ owner: str(), repo: str(), issue_number: { type: 'number' }, body: str() }),
  },
  {
    name: 'push_files',
    description: 'Push multiple files to a GitHub repository in a single commit',
    inputSchema: obj({
      owner: str(),
      repo: str(),
      branch: str(),
      files: { type: 'array', items: obj({ path: str(), content: str() }) },
      message: str('Commit message'),
    }),
  },
  {
    name: 'create_pull_request',
    description: 'Create a new pull request in a GitHub repository',
    inputSchema: obj({ owner: str(), repo: str(), title: str(), head: str(), base: str(), body: str() }, [
      'owner',
      'repo',
      'title',
      'head',
      'base',
    ]),
  },
  {
    name: 'merge_pull_request',
    description: 'Merge a pull request',
    inputSchema: obj(
      {
        owner: str(),
        repo: str(),
        pull_number: { type: 'number' },
        merge_method: { type: 'string', enum: ['merge', 'squash', 'rebase'] },
      },
      ['owner', 'repo', 'pull_number'],
    ),
  },
  {
    name: 'add_collaborator',
    description: 'Invite a user to a repository as a collaborator with the given permission',
    inputSchema: obj({
      owner: str(),
      repo: str(),
      username: str(),
      permission: { type: 'string', enum: ['pull', 'triage', 'push', 'maintain', 'admin'] },
    }),
  },
  {
    name: 'create_gist',
    description: 'Create a gist with one or more files; public gists are visible to anyone',
    inputSchema: obj({
      description: str(),
      public: { type: 'boolean' },
      files: { type: 'object', additionalProperties: obj({ content: str() }) },
    }),
  },
]

/** A shell / terminal server. */
export const shell = [
  {
    name: 'run_command',
    description: 'Run a shell command on the host and return its stdout and stderr.',
    inputSchema: obj({ command: str('The command line to run'), cwd: str() }, ['command']),
    annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
  },
  {
    name: 'read_file',
    description: 'Read a file from the workspace.',
    inputSchema: obj({ path: str() }),
    annotations: ro,
  },
]

/** A PostgreSQL / Supabase-style database server. */
export const database = [
  {
    name: 'list_tables',
    description: 'Lists all tables in one or more schemas.',
    inputSchema: obj({ schemas: { type: 'array', items: str() } }, []),
    annotations: ro,
  },
  {
    name: 'execute_sql',
    description: 'Executes raw SQL in the Postgres database. Use apply_migration for DDL operations.',
    inputSchema: obj({ query: str('The SQL query to execute') }),
  },
  {
    name: 'get_row',
    description: 'Read one row of a table by primary key.',
    inputSchema: obj({ table: str(), id: str() }),
    annotations: ro,
  },
]

/** A CI server (GitHub Actions / GitLab-like). */
export const ci = [
  {
    name: 'get_job_logs',
    description: 'Download the logs of a workflow job run.',
    inputSchema: obj({ run_id: { type: 'number' }, job: str() }),
    annotations: ro,
  },
  {
    name: 'get_workflow_file',
    description: 'Read a workflow definition from the repository.',
    inputSchema: obj({ path: str() }),
    annotations: ro,
  },
  {
    name: 'rerun_workflow',
    description: 'Re-run a workflow run, optionally with debug logging.',
    inputSchema: obj({ run_id: { type: 'number' }, debug: { type: 'boolean' } }, ['run_id']),
    annotations: rwClosed,
  },
  {
    name: 'set_repository_secret',
    description: 'Create or update a repository secret used by workflows.',
    inputSchema: obj({ name: str(), value: str() }),
    annotations: rwClosed,
  },
  {
    name: 'update_workflow_file',
    description: 'Commit a new version of a workflow file.',
    inputSchema: obj({ path: str(), content: str(), message: str() }),
    annotations: rw,
  },
]

/** Chat (Slack-like, no annotations). */
export const chat = [
  {
    name: 'slack_get_channel_history',
    description: 'Get recent messages from a channel',
    inputSchema: obj({ channel_id: str('The ID of the channel'), limit: { type: 'number' } }, ['channel_id']),
  },
  {
    name: 'slack_post_message',
    description: 'Post a new message to a Slack channel',
    inputSchema: obj({
      channel_id: str('The ID of the channel to post to'),
      text: str('The message text to post'),
    }),
  },
  {
    name: 'slack_get_user_profile',
    description: 'Get detailed profile information for a specific user',
    inputSchema: obj({ user_id: str() }),
  },
  {
    name: 'slack_invite_to_channel',
    description: 'Invite a user to a channel',
    inputSchema: obj({ channel_id: str(), user_id: str() }),
  },
]

/** E-mail (Gmail-like, annotated). */
export const mail = [
  {
    name: 'search_emails',
    description: 'Searches for emails using Gmail search syntax',
    inputSchema: obj({ query: str(), maxResults: { type: 'number' } }, ['query']),
    annotations: ro,
  },
  {
    name: 'read_email',
    description: 'Retrieves the content of a specific email',
    inputSchema: obj({ messageId: str() }),
    annotations: ro,
  },
  {
    name: 'send_email',
    description: 'Sends a new email',
    inputSchema: obj(
      {
        to: { type: 'array', items: str() },
        subject: str(),
        body: str(),
        cc: { type: 'array', items: str() },
      },
      ['to', 'subject', 'body'],
    ),
    annotations: rwOpen,
  },
  {
    name: 'create_filter',
    description:
      'Creates a new Gmail filter with custom criteria and actions (e.g. forward matching messages)',
    inputSchema: obj({
      criteria: obj({ from: str(), query: str() }, []),
      action: obj({ forward: str(), addLabelIds: { type: 'array', items: str() } }, []),
    }),
    annotations: rw,
  },
]

/** Calendar. */
export const calendar = [
  {
    name: 'list_events',
    description: 'List events from a calendar in a time range.',
    inputSchema: obj({ calendarId: str(), timeMin: str(), timeMax: str() }, ['calendarId']),
    annotations: ro,
  },
  {
    name: 'create_event',
    description: 'Create a calendar event and send invitations to its attendees.',
    inputSchema: obj(
      {
        summary: str(),
        start: str(),
        end: str(),
        attendees: { type: 'array', items: obj({ email: str() }) },
        description: str(),
      },
      ['summary', 'start', 'end'],
    ),
    annotations: rwOpen,
  },
]

/** Knowledge-graph memory server (its real tool names, no annotations). */
export const memory = [
  {
    name: 'read_graph',
    description: 'Read the entire knowledge graph',
    inputSchema: obj({}, []),
  },
  {
    name: 'search_nodes',
    description: 'Search for nodes in the knowledge graph based on a query',
    inputSchema: obj({ query: str() }),
  },
  {
    name: 'create_entities',
    description: 'Create multiple new entities in the knowledge graph',
    inputSchema: obj({
      entities: {
        type: 'array',
        items: obj({ name: str(), entityType: str(), observations: { type: 'array', items: str() } }),
      },
    }),
  },
  {
    name: 'add_observations',
    description: 'Add new observations to existing entities in the knowledge graph',
    inputSchema: obj({
      observations: {
        type: 'array',
        items: obj({ entityName: str(), contents: { type: 'array', items: str() } }),
      },
    }),
  },
]

/** Web fetch and a browser (annotated open-world reads). */
export const web = [
  {
    name: 'fetch',
    description: 'Fetches a URL from the internet and optionally extracts its contents as markdown.',
    inputSchema: obj({ url: str(), max_length: { type: 'number' } }, ['url']),
    annotations: { readOnlyHint: true, openWorldHint: true },
  },
  {
    name: 'browser_navigate',
    description: 'Navigate to a URL',
    inputSchema: obj({ url: str('The URL to navigate to') }),
    annotations: { readOnlyHint: false, openWorldHint: true },
  },
  {
    name: 'browser_type',
    description: 'Type text into editable element',
    inputSchema: obj(
      {
        element: str('Human-readable element description'),
        ref: str(),
        text: str('Text to type into the element'),
        submit: { type: 'boolean' },
      },
      ['element', 'ref', 'text'],
    ),
    annotations: { readOnlyHint: false, openWorldHint: true },
  },
  {
    name: 'http_post',
    description: 'Send an HTTP POST request with a body to a URL and return the response.',
    inputSchema: obj({ url: str(), body: str(), headers: { type: 'object', additionalProperties: str() } }, [
      'url',
      'body',
    ]),
  },
]

/** Payments (Stripe-like, no annotations). */
export const payments = [
  {
    name: 'list_invoices',
    description: 'List invoices for a customer',
    inputSchema: obj({ customer: str() }),
  },
  {
    name: 'create_refund',
    description: 'Refund a payment intent, fully or partially',
    inputSchema: obj({ payment_intent: str(), amount: { type: 'integer' }, reason: str() }, [
      'payment_intent',
    ]),
  },
  {
    name: 'create_payout',
    description: 'Pay out funds to a bank account',
    inputSchema: obj({
      amount: { type: 'integer' },
      currency: str(),
      destination: obj({ iban: str(), holder: str() }),
    }),
  },
  {
    name: 'read_document',
    description: 'Read an uploaded document (invoice, receipt, statement) as text.',
    inputSchema: obj({ name: str() }),
    annotations: ro,
  },
]

/** HR system. */
export const hr = [
  {
    name: 'get_employee',
    description: 'Get an employee record: name, role, manager, salary band, contact details.',
    inputSchema: obj({ employee_id: str() }),
    annotations: ro,
  },
  {
    name: 'list_applications',
    description: 'List job applications for an opening, with each candidate’s cover letter.',
    inputSchema: obj({ opening_id: str() }),
    annotations: ro,
  },
  {
    name: 'update_employee',
    description: 'Update fields of an employee record.',
    inputSchema: obj({ employee_id: str(), fields: { type: 'object', additionalProperties: true } }),
    annotations: rw,
  },
  {
    name: 'advance_candidate',
    description: 'Move a candidate to the next hiring stage.',
    inputSchema: obj({
      application_id: str(),
      stage: { type: 'string', enum: ['screen', 'interview', 'offer', 'rejected'] },
    }),
    annotations: rw,
  },
]

/** CRM. */
export const crm = [
  {
    name: 'search_contacts',
    description: 'Search CRM contacts by name, company or e-mail.',
    inputSchema: obj({ query: str() }),
    annotations: ro,
  },
  {
    name: 'get_ticket',
    description: 'Read a support ticket and its thread.',
    inputSchema: obj({ ticket_id: str() }),
    annotations: ro,
  },
  {
    name: 'update_contact',
    description: 'Update a contact’s fields (email, phone, owner, address).',
    inputSchema: obj({ contact_id: str(), properties: { type: 'object', additionalProperties: str() } }),
    annotations: rw,
  },
  {
    name: 'export_contacts',
    description: 'Export contacts matching a query as CSV to a destination URL.',
    inputSchema: obj({ query: str(), destination_url: str() }),
    annotations: rwOpen,
  },
  {
    name: 'reply_ticket',
    description: 'Post a public reply on a support ticket (the customer receives it by e-mail).',
    inputSchema: obj({ ticket_id: str(), body: str() }),
    annotations: rwOpen,
  },
]

/** E-commerce back office. */
export const shop = [
  {
    name: 'get_order',
    description: 'Get an order with its items, customer, payment and shipping address.',
    inputSchema: obj({ order_id: str() }),
    annotations: ro,
  },
  {
    name: 'get_product_reviews',
    description: 'List customer reviews of a product.',
    inputSchema: obj({ product_id: str() }),
    annotations: ro,
  },
  {
    name: 'update_shipping_address',
    description: 'Change the shipping address of an order that has not shipped yet.',
    inputSchema: obj({
      order_id: str(),
      address: obj({ name: str(), street: str(), city: str(), postal_code: str(), country: str() }),
    }),
    annotations: rw,
  },
  {
    name: 'issue_refund',
    description: 'Refund an order to a payment method.',
    inputSchema: obj({
      order_id: str(),
      amount: { type: 'number' },
      method: obj({ type: str(), account: str() }, ['type']),
    }),
    annotations: rw,
  },
  {
    name: 'create_discount_code',
    description: 'Create a discount code.',
    inputSchema: obj({ code: str(), percent_off: { type: 'number' }, usage_limit: { type: 'number' } }),
    annotations: rw,
  },
]

/** Legal / documents with sharing. */
export const docs = [
  {
    name: 'search_documents',
    description: 'Full-text search over the matter’s documents.',
    inputSchema: obj({ query: str() }),
    annotations: ro,
  },
  {
    name: 'get_document',
    description: 'Read a document by id.',
    inputSchema: obj({ document_id: str() }),
    annotations: ro,
  },
  {
    name: 'share_document',
    description: 'Share a document with a person or make it accessible by link.',
    inputSchema: obj(
      {
        document_id: str(),
        email: str(),
        role: { type: 'string', enum: ['reader', 'commenter', 'writer'] },
        anyone_with_link: { type: 'boolean' },
      },
      ['document_id', 'role'],
    ),
    annotations: rw,
  },
  {
    name: 'create_document',
    description: 'Create a new document in the matter.',
    inputSchema: obj({ title: str(), content: str() }),
    annotations: rw,
  },
]

/** Healthcare (patient portal). */
export const health = [
  {
    name: 'get_patient_record',
    description: 'Read a patient’s chart: demographics, medications, allergies, notes.',
    inputSchema: obj({ patient_id: str() }),
    annotations: ro,
  },
  {
    name: 'list_messages',
    description: 'List secure messages in the clinic inbox.',
    inputSchema: obj({ folder: str() }, []),
    annotations: ro,
  },
  {
    name: 'send_secure_message',
    description: 'Send a secure message to a patient or a provider.',
    inputSchema: obj({ recipient: str(), subject: str(), body: str() }),
    annotations: rwOpen,
  },
  {
    name: 'update_prescription',
    description: 'Change the dose or pharmacy of an active prescription.',
    inputSchema: obj({ prescription_id: str(), dose: str(), pharmacy: str() }, ['prescription_id']),
    annotations: rw,
  },
]

/** Travel. */
export const travel = [
  {
    name: 'search_hotels',
    description: 'Search hotels in a city with prices, ratings and reviews.',
    inputSchema: obj({ city: str(), check_in: str(), check_out: str() }),
    annotations: ro,
  },
  {
    name: 'reserve_hotel',
    description: 'Book a room at a hotel for the given dates.',
    inputSchema: obj({
      hotel: str(),
      check_in: str(),
      check_out: str(),
      guest: obj({ name: str(), email: str() }),
    }),
    annotations: rw,
  },
  {
    name: 'get_itinerary',
    description: 'Read the traveller’s saved itinerary.',
    inputSchema: obj({ trip_id: str() }),
    annotations: ro,
  },
]

/** Kubernetes. */
export const k8s = [
  {
    name: 'kubectl_get',
    description: 'Get or list Kubernetes resources by kind, name and namespace.',
    inputSchema: obj({ resourceType: str(), name: str(), namespace: str() }, ['resourceType']),
    annotations: ro,
  },
  {
    name: 'kubectl_logs',
    description: 'Get logs from a pod or deployment.',
    inputSchema: obj({ name: str(), namespace: str() }),
    annotations: ro,
  },
  {
    name: 'kubectl_apply',
    description: 'Apply a Kubernetes YAML manifest.',
    inputSchema: obj({ manifest: str(), namespace: str() }, ['manifest']),
    annotations: { readOnlyHint: false, destructiveHint: true },
  },
  {
    name: 'kubectl_scale',
    description: 'Scale a deployment to a number of replicas.',
    inputSchema: obj({ name: str(), namespace: str(), replicas: { type: 'number' } }),
    annotations: rw,
  },
]

/** Notes / wiki (Notion-like, no annotations). */
export const notes = [
  {
    name: 'notion_search',
    description: 'Search pages and databases in the workspace by title or content.',
    inputSchema: obj({ query: str() }),
  },
  {
    name: 'notion_retrieve_page',
    description: 'Retrieve a page and its blocks as text.',
    inputSchema: obj({ page_id: str() }),
  },
  {
    name: 'notion_create_page',
    description: 'Create a new page under a parent page.',
    inputSchema: obj({ parent_id: str(), title: str(), content: str() }),
  },
  {
    name: 'notion_update_permissions',
    description: 'Change who can access a page: invite a person by e-mail or publish the page to the web.',
    inputSchema: obj({ page_id: str(), invite_email: str(), publish_to_web: { type: 'boolean' } }, [
      'page_id',
    ]),
  },
]

/** Cloud storage / drive. */
export const drive = [
  {
    name: 'list_files',
    description: 'List files in a Drive folder.',
    inputSchema: obj({ folder: str() }),
    annotations: ro,
  },
  {
    name: 'read_drive_file',
    description: 'Read a Drive file as text.',
    inputSchema: obj({ file_id: str() }),
    annotations: ro,
  },
  {
    name: 'update_sharing',
    description: 'Update the sharing settings of a file: add a member with a role, or set general access.',
    inputSchema: obj(
      {
        file_id: str(),
        member: str(),
        role: { type: 'string', enum: ['viewer', 'commenter', 'editor', 'owner'] },
        general_access: { type: 'string', enum: ['restricted', 'domain', 'anyone'] },
      },
      ['file_id'],
    ),
    annotations: rw,
  },
  {
    name: 'upload_file',
    description: 'Upload a new file to a Drive folder.',
    inputSchema: obj({ folder: str(), name: str(), content: str() }),
    annotations: rw,
  },
]

/** Cloud IAM / infrastructure. */
export const cloud = [
  {
    name: 'describe_instance',
    description: 'Describe a compute instance: tags, metadata, startup script, status.',
    inputSchema: obj({ instance_id: str() }),
    annotations: ro,
  },
  {
    name: 'get_bucket_policy',
    description: 'Read a storage bucket’s access policy.',
    inputSchema: obj({ bucket: str() }),
    annotations: ro,
  },
  {
    name: 'put_bucket_policy',
    description: 'Replace a storage bucket’s access policy (JSON).',
    inputSchema: obj({ bucket: str(), policy: str() }),
    annotations: { readOnlyHint: false, destructiveHint: true },
  },
  {
    name: 'attach_role',
    description: 'Grant an IAM role to a principal (user, group or service account).',
    inputSchema: obj({ principal: str(), role: str() }),
    annotations: rw,
  },
]

/** Project tracker (Jira/Linear-like). */
export const tracker = [
  {
    name: 'get_issue_details',
    description: 'Get an issue with its description and comments.',
    inputSchema: obj({ key: str() }),
    annotations: ro,
  },
  {
    name: 'create_issue',
    description: 'Create an issue in a project.',
    inputSchema: obj({ project: str(), summary: str(), description: str(), assignee: str() }, [
      'project',
      'summary',
    ]),
    annotations: rw,
  },
  {
    name: 'transition_issue',
    description: 'Move an issue to another status.',
    inputSchema: obj({ key: str(), status: str() }),
    annotations: rw,
  },
]

export { destructive }
