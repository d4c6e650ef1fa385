// The SDK warns once per process that its future releases need Node 22; tests run on 20 on purpose.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
