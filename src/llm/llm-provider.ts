/** The LLM APIs an agent can call. */
export enum LLMProvider {
  /** OpenAI's API, or any OpenAI-compatible endpoint (`baseURL`), through the `OpenAI` client. */
  OPENAI = 'openai',
  /** Azure OpenAI (`endpoint` + deployment as `model`), through the `AzureOpenAI` client. */
  AZURE_OPENAI = 'azure_openai',
}
