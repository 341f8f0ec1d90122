export type { OtelExportOptions } from './otel-exporter.js'
export { OtelChainExporter } from './otel-exporter.js'
