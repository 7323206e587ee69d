/**
 * What the fault server's SDK suites share: one server per test (`start` closes the one
 * before), and real `openai` SDK clients pointed at it, with no SDK retries.
 */
import OpenAI, { AzureOpenAI } from 'openai';

import { startFaultServer, type FaultServer, type FaultServerOptions } from '../../src/testing';

export const OPENAI_KEY = 'sk-test-0123456789abcdefghijklmnopqrstuvwxyz';
export const AZURE_KEY = '0123456789abcdef0123456789abcdef';

export interface FaultServerClients {
  /** The running server (the last one started). */
  readonly server: FaultServer;
  /** Starts a server for this test, closing the one before (closed after the test too). */
  start(options?: FaultServerOptions): Promise<FaultServer>;
  /** An `OpenAI` client on the server (the functions need no `this`: destructure them). */
  openai(options?: Partial<ConstructorParameters<typeof OpenAI>[0]>): OpenAI;
  /** An `AzureOpenAI` client on the server, with or without a deployment. */
  azure(deployment?: string, apiVersion?: string): AzureOpenAI;
}

/** Registers the `afterEach` that closes the server; call at the top of a suite. */
export function useFaultServerClients(): FaultServerClients {
  let server: FaultServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const current = (): FaultServer => {
    if (server === undefined) throw new Error('no fault server started in this test');
    return server;
  };
  return {
    get server() {
      return current();
    },
    async start(options) {
      await server?.close();
      server = await startFaultServer(options);
      return server;
    },
    openai(options = {}) {
      return new OpenAI({ apiKey: OPENAI_KEY, baseURL: current().openaiBaseURL, maxRetries: 0, ...options });
    },
    azure(deployment, apiVersion = '2024-10-21') {
      return new AzureOpenAI({
        apiKey: AZURE_KEY,
        endpoint: current().azureEndpoint,
        apiVersion,
        ...(deployment === undefined ? {} : { deployment }),
        maxRetries: 0,
      });
    },
  };
}

/** The rejection of a promise (fails the test when it resolves). */

export async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
