/**
 * voice-edge's typed client: HTTP (openapi-fetch over the generated OpenAPI types) and the live
 * call stream. Bundled for browsers as public/console/voice-edge-client.js (npm run build:client).
 */
export {
  createVoiceEdgeClient,
  type Call,
  type CallCreated,
  type CallEnded,
  type components,
  type CreateCallBody,
  type HistoryEntry,
  type paths,
  type ReplyQuery,
  type Schemas,
  type TurnOptions,
  type TurnResult,
  type VoiceEdgeClient,
  type VoiceEdgeClientOptions,
  type VoiceEdgeHelpers,
} from "./http";
export { VoiceEdgeError, type Problem } from "./errors";
export {
  CallStream,
  callStreamUrl,
  fetchStreamToken,
  openCallStream,
  type CallStreamEventName,
  type CallStreamEvents,
  type ClientMessage,
  type OpenCallStreamOptions,
  type ServerMessage,
  type StartMessage,
  type StartOptions,
  type StreamClose,
  type StreamToken,
  type WebSocketConstructor,
  type SocketEvent,
  type WebSocketLike,
} from "./stream";
