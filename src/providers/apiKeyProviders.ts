/**
 * The providers that take an API key, as Hermes Agent's `PROVIDER_REGISTRY` (hermes_cli/auth.py, extended
 * by plugins/model-providers/*) lists them at the commit in ../shared/hermes-agent: id, display name, the
 * environment variables Hermes Agent reads the key from, and the `inference_base_url` that
 * `hermes auth add <id> --type api-key` stores as the pool entry's `base_url`. OpenRouter is not in the
 * registry; Hermes Agent special-cases it with `OPENROUTER_BASE_URL`.
 *
 * Left out on purpose: `lmstudio` (a local server, keyless by default), `copilot` (its key is a GitHub
 * token that the Copilot API does not take directly; it has its own device sign-in), `azure-foundry`
 * (no base URL until the user gives one), and the OAuth / AWS providers.
 *
 * `check` is the cheapest authenticated call each provider has, with its own way of sending the key:
 * most answer `GET {base}/models` with `Authorization: Bearer`; Anthropic wants `x-api-key` and
 * `anthropic-version` at `/v1/models` (as Hermes Agent's Anthropic profile fetches models); Gemini takes
 * `x-goog-api-key`; OpenRouter's `/models` is public, so its key is checked at `/key`.
 */

/** How a provider wants the key sent. */
export type KeyAuthStyle = 'bearer' | 'anthropic' | 'gemini';

/** One API-key provider. */
export interface ApiKeyProviderSpec {
  id: string;
  label: string;
  /** Other names accepted for it (Hermes Agent's provider aliases). */
  aliases: readonly string[];
  /** Where Hermes Agent reads the key from the environment, in its order. */
  envVars: readonly string[];
  /** The base URL Hermes Agent stores with a manually added key. */
  baseUrl: string;
  /** The authenticated call that checks a key: path appended to the (possibly overridden) base, and the header style. */
  check: { path: string; style: KeyAuthStyle };
}

const bearerModels = { path: '/models', style: 'bearer' } as const;

/** Every API-key provider, in the registry's order (OpenRouter first: it is not in the registry). */
export const API_KEY_PROVIDERS: readonly ApiKeyProviderSpec[] = [
  { id: 'openrouter', label: 'OpenRouter', aliases: ['or', 'open-router'], envVars: ['OPENROUTER_API_KEY'], baseUrl: 'https://openrouter.ai/api/v1', check: { path: '/key', style: 'bearer' } },
  { id: 'openai-api', label: 'OpenAI API', aliases: [], envVars: ['OPENAI_API_KEY'], baseUrl: 'https://api.openai.com/v1', check: bearerModels },
  { id: 'gemini', label: 'Google AI Studio', aliases: ['google', 'google-gemini', 'google-ai-studio'], envVars: ['GOOGLE_API_KEY', 'GEMINI_API_KEY'], baseUrl: 'https://generativelanguage.googleapis.com/v1beta', check: { path: '/models', style: 'gemini' } },
  { id: 'zai', label: 'Z.AI / GLM', aliases: ['glm', 'z-ai', 'z.ai', 'zhipu'], envVars: ['GLM_API_KEY', 'ZAI_API_KEY', 'Z_AI_API_KEY'], baseUrl: 'https://api.z.ai/api/paas/v4', check: bearerModels },
  { id: 'kimi-coding', label: 'Kimi / Moonshot', aliases: ['kimi', 'kimi-for-coding', 'moonshot'], envVars: ['KIMI_API_KEY', 'KIMI_CODING_API_KEY'], baseUrl: 'https://api.moonshot.ai/v1', check: bearerModels },
  { id: 'kimi-coding-cn', label: 'Kimi / Moonshot (China)', aliases: ['kimi-cn', 'moonshot-cn'], envVars: ['KIMI_CN_API_KEY'], baseUrl: 'https://api.moonshot.cn/v1', check: bearerModels },
  { id: 'stepfun', label: 'StepFun Step Plan', aliases: ['step', 'stepfun-coding-plan'], envVars: ['STEPFUN_API_KEY'], baseUrl: 'https://api.stepfun.ai/step_plan/v1', check: bearerModels },
  { id: 'arcee', label: 'Arcee AI', aliases: ['arcee-ai', 'arceeai'], envVars: ['ARCEEAI_API_KEY'], baseUrl: 'https://api.arcee.ai/api/v1', check: bearerModels },
  { id: 'gmi', label: 'GMI Cloud', aliases: ['gmi-cloud', 'gmicloud'], envVars: ['GMI_API_KEY'], baseUrl: 'https://api.gmi-serving.com/v1', check: bearerModels },
  { id: 'minimax', label: 'MiniMax', aliases: ['mini-max'], envVars: ['MINIMAX_API_KEY'], baseUrl: 'https://api.minimax.io/anthropic', check: { path: '/v1/models', style: 'anthropic' } },
  { id: 'anthropic', label: 'Anthropic', aliases: ['claude', 'claude-code'], envVars: ['ANTHROPIC_API_KEY', 'ANTHROPIC_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN'], baseUrl: 'https://api.anthropic.com', check: { path: '/v1/models', style: 'anthropic' } },
  { id: 'alibaba', label: 'Qwen Cloud', aliases: [], envVars: ['DASHSCOPE_API_KEY'], baseUrl: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1', check: bearerModels },
  { id: 'alibaba-coding-plan', label: 'Alibaba Cloud (Coding Plan)', aliases: ['alibaba-coding', 'alibaba_coding', 'alibaba_coding_plan'], envVars: ['ALIBABA_CODING_PLAN_API_KEY', 'DASHSCOPE_API_KEY'], baseUrl: 'https://coding-intl.dashscope.aliyuncs.com/v1', check: bearerModels },
  { id: 'minimax-cn', label: 'MiniMax (China)', aliases: ['minimax-china', 'minimax_cn'], envVars: ['MINIMAX_CN_API_KEY'], baseUrl: 'https://api.minimaxi.com/anthropic', check: { path: '/v1/models', style: 'anthropic' } },
  { id: 'deepseek', label: 'DeepSeek', aliases: [], envVars: ['DEEPSEEK_API_KEY'], baseUrl: 'https://api.deepseek.com/v1', check: bearerModels },
  { id: 'xai', label: 'xAI', aliases: ['x-ai', 'x.ai', 'grok'], envVars: ['XAI_API_KEY'], baseUrl: 'https://api.x.ai/v1', check: bearerModels },
  { id: 'nvidia', label: 'NVIDIA NIM', aliases: [], envVars: ['NVIDIA_API_KEY'], baseUrl: 'https://integrate.api.nvidia.com/v1', check: bearerModels },
  { id: 'opencode-zen', label: 'OpenCode Zen', aliases: ['opencode', 'zen'], envVars: ['OPENCODE_ZEN_API_KEY'], baseUrl: 'https://opencode.ai/zen/v1', check: bearerModels },
  { id: 'opencode-go', label: 'OpenCode Go', aliases: ['go', 'opencode-go-sub'], envVars: ['OPENCODE_GO_API_KEY'], baseUrl: 'https://opencode.ai/zen/go/v1', check: bearerModels },
  { id: 'kilocode', label: 'Kilo Code', aliases: ['kilo', 'kilo-code', 'kilo-gateway'], envVars: ['KILOCODE_API_KEY'], baseUrl: 'https://api.kilo.ai/api/gateway', check: bearerModels },
  { id: 'huggingface', label: 'Hugging Face', aliases: ['hf', 'hugging-face', 'huggingface-hub'], envVars: ['HF_TOKEN'], baseUrl: 'https://router.huggingface.co/v1', check: bearerModels },
  { id: 'xiaomi', label: 'Xiaomi MiMo', aliases: ['mimo', 'xiaomi-mimo'], envVars: ['XIAOMI_API_KEY'], baseUrl: 'https://api.xiaomimimo.com/v1', check: bearerModels },
  { id: 'tencent-tokenhub', label: 'Tencent TokenHub', aliases: ['tencent', 'tokenhub', 'tencent-cloud', 'tencentmaas'], envVars: ['TOKENHUB_API_KEY'], baseUrl: 'https://tokenhub.tencentmaas.com/v1', check: bearerModels },
  { id: 'ollama-cloud', label: 'Ollama Cloud', aliases: ['ollama_cloud'], envVars: ['OLLAMA_API_KEY'], baseUrl: 'https://ollama.com/v1', check: bearerModels },
  { id: 'deepinfra', label: 'DeepInfra', aliases: ['deep-infra', 'deepinfra-ai'], envVars: ['DEEPINFRA_API_KEY'], baseUrl: 'https://api.deepinfra.com/v1/openai', check: bearerModels },
  { id: 'fireworks', label: 'Fireworks AI', aliases: ['fireworks-ai', 'fw'], envVars: ['FIREWORKS_API_KEY'], baseUrl: 'https://api.fireworks.ai/inference/v1', check: bearerModels },
  { id: 'novita', label: 'NovitaAI', aliases: ['novita-ai', 'novitaai'], envVars: ['NOVITA_API_KEY'], baseUrl: 'https://api.novita.ai/openai/v1', check: bearerModels },
  { id: 'upstage', label: 'Upstage Solar', aliases: ['solar'], envVars: ['UPSTAGE_API_KEY'], baseUrl: 'https://api.upstage.ai/v1', check: bearerModels },
];
