/**
 * `mmesh auth set|test|login`: this agent's own SharePoint credentials. They work without a running
 * agent (files in the data dir, checks against the destination), and never touch the ledger. The work
 * is in auth-actions.ts, loaded when a command runs.
 */
import type { Command } from 'commander'
import type { AuthLoginOptions, AuthSetOptions, AuthTestOptions } from './auth-actions.ts'

export function registerAuthCommands(program: Command): void {
  const auth = program.command('auth').description("this agent's credentials for SharePoint (kept in the data dir, never in the ledger)")

  auth
    .command('set')
    .description('store app-only credentials: tenant id, client id and a certificate with its private key')
    .option('--data <dir>', 'data dir (default $MMESH_DATA, else ~/.mmesh)')
    .requiredOption('--tenant <id>', 'Directory (tenant) ID of the app registration')
    .requiredOption('--client-id <id>', 'Application (client) ID')
    .requiredOption('--cert <file>', 'PEM file with the certificate and its private key')
    .option('--authority <url>', 'sign-in service (default https://login.microsoftonline.com)')
    .action(async (o: AuthSetOptions) => (await import('./auth-actions.ts')).authSet(o))

  auth
    .command('test')
    .description('check the credentials against a destination and say what is wrong')
    .option('--data <dir>', 'data dir (default $MMESH_DATA, else ~/.mmesh)')
    .requiredOption('--dest <url>', 'site or OneDrive URL, e.g. https://contoso.sharepoint.com/sites/finance')
    .option('--library <name>', 'library title as shown in Site contents', 'Documents')
    .action(async (o: AuthTestOptions) => (await import('./auth-actions.ts')).authTest(o))

  auth
    .command('login')
    .description('sign in with a device code (delegated access with your organisation\'s public-client app)')
    .option('--data <dir>', 'data dir (default $MMESH_DATA, else ~/.mmesh)')
    .requiredOption('--tenant <id>', 'Directory (tenant) ID')
    .requiredOption('--client-id <id>', 'Application (client) ID of a public-client app registration')
    .option('--authority <url>', 'sign-in service (default https://login.microsoftonline.com)')
    .option('--dest <url>', 'a SharePoint URL to consent for now')
    .option('--timeout <seconds>', 'give up waiting for the sign-in after this long', '900')
    .action(async (o: AuthLoginOptions) => (await import('./auth-actions.ts')).authLogin(o))
}
