/** The LLM APIs an agent can call. */
export enum LLMProvider {
  OPENAI = 'openai',
  AZURE_OPENAI = 'azure_openai',
}
