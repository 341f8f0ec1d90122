export type { ConsoleCredentials } from './console.js'
export { consoleRoutes } from './console.js'
