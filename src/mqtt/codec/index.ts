// The MQTT 3.1.1 codec in one import: packet model, serializer, parser, framing, topics, errors.
export * from "./packets"
export * from "./errors"
export * from "./topics"
export * from "./encode"
export * from "./decode"
export * from "./frames"
