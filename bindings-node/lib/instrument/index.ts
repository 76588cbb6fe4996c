// Auto-instrumentation of provider clients and frameworks.
export { instrumentOpenAI, uninstrumentOpenAI, type OpenAIInstrumentOptions, type OpenAILike } from './openai';
export { instrumentAnthropic, uninstrumentAnthropic, type AnthropicLike } from './anthropic';
export { langChainHandlerClass, type LangChainHandler } from './langchain';
