/**
 * The provider simulator: a fast, deterministic fake of the paid LLM APIs, for tests and the benchmark.
 *
 * <h2>Start</h2>
 * {@code bin/provider-sim --port N [--ttft-ms N] [--chunk-gap-ms N] [--words N] [--record N]}
 * (env {@code SIM_PORT}, {@code SIM_TTFT_MS}, {@code SIM_CHUNK_GAP_MS}, {@code SIM_WORDS}, {@code SIM_RECORD};
 * flags win), which prints {@code provider-sim listening on http://127.0.0.1:PORT}. In process:
 * {@code try (ProviderSim sim = ProviderSim.start(SimOptions.defaults())) { sim.port(); sim.baseUrl(); }}.
 *
 * <h2>Endpoints (127.0.0.1 only)</h2>
 * <ul>
 * <li>OpenAI: {@code POST /v1/chat/completions}, {@code /v1/responses}, {@code /v1/embeddings}, {@code GET /v1/models};
 *     Azure: {@code POST /openai/deployments/{deployment}/chat/completions|embeddings} (model = deployment),
 *     {@code /openai/responses}, {@code /openai/v1/responses|chat/completions|embeddings}; any query is accepted.
 *     A chat-only vendor under {@code /chat-only/v1}: {@code chat/completions}, and a 404 on {@code responses}.</li>
 * <li>Anthropic: {@code POST /v1/messages} (any query, e.g. {@code ?beta=true}), {@code /v1/messages/count_tokens};
 *     {@code GET /v1/models} with an {@code anthropic-version} header answers Anthropic's list shape.</li>
 * <li>Gemini: {@code POST /v1beta/models/{model}:generateContent}, {@code :streamGenerateContent} (SSE with
 *     {@code alt=sse}, else one JSON array), {@code :countTokens}; the same under {@code /v1/models/}; {@code GET /v1beta/models}.</li>
 * <li>Bedrock: {@code POST /model/{modelId}/converse} (JSON) and {@code /model/{modelId}/converse-stream} (AWS
 *     event-stream frames: messageStart, contentBlockStart for a tool call, contentBlockDelta, contentBlockStop,
 *     messageStop, metadata with usage). Every call must carry a SigV4 signature (service {@code bedrock}) made
 *     with the test key in the environment ({@code SIM_AWS_ACCESS_KEY_ID}, {@code SIM_AWS_SECRET_ACCESS_KEY});
 *     else 403 with {@code x-amzn-ErrorType}. Errors are {@code {"message": ...}} with that header. A malformed
 *     fault sends a frame with a wrong CRC.</li>
 * <li>{@code HEAD} on any path: 200 (Claude Code probes its base URL).</li>
 * </ul>
 * Streaming is decided by the body's {@code stream} (OpenAI, Anthropic) or the Gemini method, never by Accept.
 *
 * <h2>Answers</h2>
 * <ul>
 * <li>When a shell-like tool is offered ({@code exec_command}, {@code shell}, {@code Bash}, {@code run_shell_command};
 *     in Responses also inside {@code additional_tools} namespaces, and Codex's custom JavaScript tool {@code exec})
 *     and the conversation has no tool result yet: a call of it running {@code echo tollgate-tool-ok}. In Responses, an
 *     input holding {@code tollgate-tool-turns=N} (N &lt; 100) gets such a call until it holds N tool results.</li>
 * <li>Anthropic messages holding {@code tollgate-subagents=N} (N &lt; 10) with Claude Code's subagent tool offered
 *     ({@code Agent}, or {@code Task} before 2.1): a call of it ({@code subagent_type: general-purpose}, a prompt to run
 *     the marker command, without the marker) until the conversation holds N tool results; each subagent's own
 *     conversation then runs the shell tool as above.</li>
 * <li>When a tool result is present: {@code Tool said: <last tool output, stripped, first 200 chars>}.</li>
 * <li>Responses input ending with a {@code compaction_trigger}: exactly one {@code compaction} item whose content
 *     ({@code sim-compaction:...}) stands for the items before it and their last tool output; a later input holding
 *     it (or, on Anthropic, a gateway's opened summary, "compacted by the gateway"; or Codex's own handoff summary, a
 *     user message starting "Another language model started to solve this problem", whose text after its first line
 *     stands for the tool output) counts as holding that tool result. {@code POST /v1/responses/compact}: the user messages, then such an item.</li>
 * <li>Gemini with {@code responseMimeType: application/json}: one JSON value fitting the schema.</li>
 * <li>Else {@code words} words cycling through "Hello from the Tollgate provider simulator, all good.",
 *     streamed one word (token) per event.</li>
 * </ul>
 * Reasoning rules, as the providers enforce them: an Anthropic stream with {@code thinking} on calls its tool
 * after a signed thinking block and a redacted_thinking block; a history that alters a signed thinking text is a
 * 400, and on {@code /v1/messages} so is one whose last tool-calling assistant turn does not start with thinking
 * (not on Vertex: Claude Code drops thinking from history for a model id it does not know). A Gemini model named
 * {@code gemini-3*} signs its function calls ({@code thoughtSignature}); a history whose first call of a model
 * turn lacks its signature, or carries one not issued for it, is a 400 (Google's stand-in
 * {@code skip_thought_signature_validator} passes).
 * Usage: output tokens = streamed text tokens (words, split at spaces), or 3 for any tool call (its arguments
 * stream in 3 fragments). Input tokens = max(1, ceil(chars / 4)), chars as defined by {@link dev.tollgate.sim.InputText}.
 * Chat's {@code n} and Gemini's {@code generationConfig.candidateCount} multiply the reported output tokens
 * (every choice is billed); a whole chat answer lists n identical choices, streams and Gemini answers carry one.
 * OpenAI chat streams send the usage chunk only with {@code stream_options.include_usage}, and then
 * {@code "usage": null} on every other chunk.
 * Prompt caching ({@link dev.tollgate.sim.PromptCache}) is modelled per format, model and credential on the
 * simulator's clock: Anthropic and Bedrock cache only prefixes ending at a breakpoint ({@code cache_control},
 * {@code cachePoint}; 5m or 1h, 1,024 tokens or more) and read one back at a later breakpoint or up to 20
 * blocks before it ({@code cache_read_input_tokens}, {@code cache_creation} split by TTL; Bedrock's
 * {@code cacheReadInputTokens}, {@code cacheWriteInputTokens}, {@code cacheDetails}); OpenAI caches every
 * repeated prefix of 1,024 tokens or more for 10 minutes, per {@code prompt_cache_key}, read in 128-token steps
 * ({@code cached_tokens}); Gemini a repeated prefix for 5 minutes ({@code cachedContentTokenCount}). Reads and
 * writes are parts of the input tokens above, so a conversation that never repeats a prefix reports none.
 *
 * <h2>Per-request headers</h2>
 * {@code x-sim-ttft-ms} (delay before the first byte), {@code x-sim-chunk-gap-ms} (before each token after the
 * first; a non-streamed answer waits ttft + gap × (tokens − 1)), {@code x-sim-words}, and {@code x-sim-fault}
 * (one fault as JSON; it takes precedence over the queue).
 *
 * <h2>Faults</h2>
 * <ul>
 * <li>{@code {"status":503,"retry_after":2,"body":"..."}}: that status, an optional {@code Retry-After}, and the
 *     body given or the endpoint's own error JSON.</li>
 * <li>{@code {"reset_after_chunks":N}}: N events, then the connection is closed mid-response (no chunked
 *     terminator); a non-streamed call gets no response at all.</li>
 * <li>{@code {"stall_ms":N}} (optionally {@code "after_chunks":K}): silence for N ms before the first byte
 *     (or after K events).</li>
 * <li>{@code {"malformed_after_chunks":N}}: N events, then {@code data: {not json}, then a clean end; a
 *     non-streamed call gets the body {@code {not json}.</li>
 * <li>{@code {"end_after_chunks":N}}: N events, then a clean end without the stream's terminal event
 *     ({@code [DONE]}, {@code response.completed}, {@code message_stop}, Gemini's finishReason): a silent
 *     truncation; a non-streamed call gets the first half of its JSON answer.</li>
 * <li>{@code {"hold_after_chunks":N}}: N events, then nothing until {@code POST /_sim/faults/release} (at most
 *     30 s), then the rest: a test acts (e.g. drops its client connection) while the stream stands exactly there.</li>
 * </ul>
 * Events are counted as written: every SSE event, including {@code ping} and {@code [DONE]}. A reset or malformed
 * fault past the last event fires at the end of the stream.
 *
 * <h2>Control API (not recorded)</h2>
 * <ul>
 * <li>{@code GET /_sim/requests}: the last {@code --record} (200) provider requests, oldest first:
 *     {@code [{seq, at_ms, method, path, query, headers:{lower-case name: value}, body}]}, body parsed as JSON
 *     (text if it does not parse, null if empty), and for a model call the usage its answer reported,
 *     {@code usage: {input_tokens (all of them), cache_read, cache_write_5m, cache_write_1h, output_tokens}}.
 *     {@code DELETE /_sim/requests} clears, and forgets the prompt caches: {@code {"cleared":N}}.</li>
 * <li>{@code POST /_sim/faults} {@code {"faults":[{...fault..., "model":"x", "times":N}, ...]}} queues faults; each
 *     provider request takes the first entry whose model matches (or that has none), {@code times} (default 1)
 *     times. Answers {@code {"queued":N}}; 400 and nothing queued if any entry is invalid.
 *     {@code GET /_sim/faults} lists what is left, {@code DELETE /_sim/faults} clears (and releases holds);
 *     {@code POST /_sim/faults/release} lets every held stream go on: {@code {"released":N}}.</li>
 * <li>{@code PUT /_sim/vertex} {@code {"public_key":"-----BEGIN PUBLIC KEY-----...","token_ttl_seconds":N}}: the
 *     service-account public key {@code POST /token} verifies JWT-bearer assertions with (RS256, {@code aud} =
 *     https://oauth2.googleapis.com/token or that endpoint's URL, the cloud-platform scope, {@code exp} ahead), and how long its access tokens live
 *     (default 3600). {@code GET /_sim/vertex}: {@code {token_requests, tokens_issued, rejected_calls,
 *     token_ttl_seconds}}. The Vertex model endpoints ({@code /v1/projects/P/locations/L/publishers/google/models/M:
 *     generateContent|streamGenerateContent}, {@code .../publishers/anthropic/models/M:rawPredict|streamRawPredict})
 *     answer 401 without a live token, and 400 to a Claude body that names a model or lacks
 *     {@code "anthropic_version":"vertex-2023-10-16"}.</li>
 * <li>{@code GET /_sim/health}: {@code ok}.</li>
 * </ul>
 */
package dev.tollgate.sim;
