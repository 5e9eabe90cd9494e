package config

// key is one configuration setting: its environment variable, its YAML
// path and where it goes in a Config. Env is empty for settings that only
// the file can express (lists of structures).
type key struct {
	Env    string
	Path   string
	val    value
	secret bool // also read from Env+"_FILE"; never echoed in errors
}

// keys binds every setting of c. It is the one list of what exists: Load
// reads the environment and the file through it, and the tests check the
// example file against it.
func keys(c *Config) []key {
	return []key{
		{Env: "AMIGATE_LOG_LEVEL", Path: "log_level", val: (*levelValue)(&c.LogLevel)},

		{Env: "AMIGATE_HTTP_ADDR", Path: "http.addr", val: (*stringValue)(&c.HTTP.Addr)},
		{Env: "AMIGATE_HTTP_READ_HEADER_TIMEOUT", Path: "http.read_header_timeout", val: (*durationValue)(&c.HTTP.ReadHeaderTimeout)},
		{Env: "AMIGATE_HTTP_READ_TIMEOUT", Path: "http.read_timeout", val: (*durationValue)(&c.HTTP.ReadTimeout)},
		{Env: "AMIGATE_HTTP_WRITE_TIMEOUT", Path: "http.write_timeout", val: (*durationValue)(&c.HTTP.WriteTimeout)},
		{Env: "AMIGATE_HTTP_IDLE_TIMEOUT", Path: "http.idle_timeout", val: (*durationValue)(&c.HTTP.IdleTimeout)},
		{Env: "AMIGATE_SHUTDOWN_TIMEOUT", Path: "http.shutdown_timeout", val: (*durationValue)(&c.HTTP.ShutdownTimeout)},
		{Env: "AMIGATE_SSE_MAX_STREAMS", Path: "http.sse_max_streams", val: (*intValue)(&c.HTTP.MaxStreams)},
		{Env: "AMIGATE_SSE_MAX_STREAMS_PER_SUBJECT", Path: "http.sse_max_streams_per_subject", val: (*intValue)(&c.HTTP.MaxStreamsPerSubject)},
		{Env: "AMIGATE_CORS_ORIGINS", Path: "http.cors_origins", val: &listValue{p: &c.HTTP.CORSOrigins, sep: ","}},

		{Env: "AMIGATE_AMI_ADDR", Path: "ami.addr", val: (*stringValue)(&c.AMI.Addr)},
		{Env: "AMIGATE_AMI_USERNAME", Path: "ami.username", val: (*stringValue)(&c.AMI.Username)},
		{Env: "AMIGATE_AMI_SECRET", Path: "ami.secret", val: (*stringValue)(&c.AMI.Secret), secret: true},
		{Env: "AMIGATE_AMI_AUTH", Path: "ami.auth", val: (*stringValue)(&c.AMI.Auth)},
		{Env: "AMIGATE_AMI_TLS", Path: "ami.tls", val: (*boolValue)(&c.AMI.TLS)},
		{Env: "AMIGATE_AMI_TLS_CA_FILE", Path: "ami.tls_ca_file", val: (*stringValue)(&c.AMI.TLSCAFile)},
		{Env: "AMIGATE_AMI_TLS_SERVER_NAME", Path: "ami.tls_server_name", val: (*stringValue)(&c.AMI.TLSServerName)},
		{Env: "AMIGATE_AMI_DIAL_TIMEOUT", Path: "ami.dial_timeout", val: (*durationValue)(&c.AMI.DialTimeout)},
		{Env: "AMIGATE_AMI_ACTION_TIMEOUT", Path: "ami.action_timeout", val: (*durationValue)(&c.AMI.ActionTimeout)},
		{Env: "AMIGATE_AMI_PING_INTERVAL", Path: "ami.ping_interval", val: (*durationValue)(&c.AMI.PingInterval)},
		{Env: "AMIGATE_AMI_RECONNECT_MIN", Path: "ami.reconnect_min", val: (*durationValue)(&c.AMI.ReconnectMin)},
		{Env: "AMIGATE_AMI_RECONNECT_MAX", Path: "ami.reconnect_max", val: (*durationValue)(&c.AMI.ReconnectMax)},
		{Env: "AMIGATE_AMI_EVENT_BUFFER", Path: "ami.event_buffer", val: (*intValue)(&c.AMI.EventBuffer)},
		{Env: "AMIGATE_AMI_EVENT_BUFFER_BYTES", Path: "ami.event_buffer_bytes", val: (*intValue)(&c.AMI.EventBufferBytes)},

		{Env: "AMIGATE_JWT_SECRET", Path: "jwt.secret", val: (*stringValue)(&c.JWT.Secret), secret: true},
		{Env: "AMIGATE_JWT_PUBLIC_KEY_FILE", Path: "jwt.public_key_file", val: (*stringValue)(&c.JWT.PublicKeyFile)},
		{Env: "AMIGATE_JWT_ISSUER", Path: "jwt.issuer", val: (*stringValue)(&c.JWT.Issuer)},
		{Env: "AMIGATE_JWT_AUDIENCE", Path: "jwt.audience", val: (*stringValue)(&c.JWT.Audience)},
		{Env: "AMIGATE_JWT_ALGORITHMS", Path: "jwt.algorithms", val: &listValue{p: &c.JWT.Algorithms, sep: ","}},
		{Env: "AMIGATE_JWT_LEEWAY", Path: "jwt.leeway", val: (*durationValue)(&c.JWT.Leeway)},
		{Env: "AMIGATE_TOKEN_MAX_TTL", Path: "jwt.token_max_ttl", val: (*durationValue)(&c.JWT.TokenMaxTTL)},

		{Env: "AMIGATE_DIAL_AGENT_CHANNEL", Path: "dial.agent_channel", val: &listValue{p: &c.Dial.AgentChannels, sep: ","}},
		{Env: "AMIGATE_DIAL_CONTEXT", Path: "dial.context", val: (*stringValue)(&c.Dial.Context)},
		{Env: "AMIGATE_TRANSFER_CONTEXT", Path: "dial.transfer_context", val: (*stringValue)(&c.Dial.TransferContext)},
		{Env: "AMIGATE_CAMPAIGN_CONTEXT", Path: "dial.campaign_context", val: (*stringValue)(&c.Dial.CampaignContext)},
		{Env: "AMIGATE_DIAL_EXTENSION_PATTERN", Path: "dial.extension_pattern", val: (*stringValue)(&c.Dial.ExtensionPattern)},
		{Env: "AMIGATE_DIAL_VARIABLE_PATTERN", Path: "dial.variable_pattern", val: (*stringValue)(&c.Dial.VariablePattern)},
		// Patterns are separated by spaces in the environment: a regular
		// expression may contain a comma ({2,15}), never a space here.
		{Env: "AMIGATE_DIAL_ALLOW", Path: "dial.allow", val: &listValue{p: &c.Dial.Allow, sep: " "}},
		{Env: "AMIGATE_DIAL_DENY", Path: "dial.deny", val: &listValue{p: &c.Dial.Deny, sep: ","}},
		{Env: "AMIGATE_DIAL_REWRITE", Path: "dial.rewrite", val: (*rewriteValue)(&c.Dial.Rewrite)},
		{Env: "AMIGATE_DIAL_MIN_DIGITS", Path: "dial.min_digits", val: (*intValue)(&c.Dial.MinDigits)},
		{Env: "AMIGATE_DIAL_MAX_DIGITS", Path: "dial.max_digits", val: (*intValue)(&c.Dial.MaxDigits)},
		{Env: "AMIGATE_DIAL_TIMEOUT", Path: "dial.default_timeout", val: (*durationValue)(&c.Dial.DefaultTimeout)},
		{Env: "AMIGATE_DIAL_MAX_TIMEOUT", Path: "dial.max_timeout", val: (*durationValue)(&c.Dial.MaxTimeout)},
		{Env: "AMIGATE_BLIND_TRANSFER", Path: "dial.blind_transfer", val: (*stringValue)(&c.Dial.BlindTransfer)},

		{Env: "AMIGATE_PHONE_REGION", Path: "phone.region", val: (*stringValue)(&c.Phone.Region)},
		{Env: "AMIGATE_PHONE_DIAL_FORMAT", Path: "phone.dial_format", val: (*stringValue)(&c.Phone.DialFormat)},
		{Env: "AMIGATE_PHONE_CALLER_ID_FORMAT", Path: "phone.caller_id_format", val: (*stringValue)(&c.Phone.CallerIDFormat)},
		{Env: "AMIGATE_PHONE_DENY_TYPES", Path: "phone.deny_types", val: &listValue{p: &c.Phone.DenyTypes, sep: ","}},
		{Env: "AMIGATE_PHONE_COUNTRIES", Path: "phone.countries", val: &listValue{p: &c.Phone.Countries, sep: ","}},

		{Env: "AMIGATE_TRUNK_CONTEXTS", Path: "calls.trunk_contexts", val: &listValue{p: &c.Calls.TrunkContexts, sep: ","}},
		{Env: "AMIGATE_CALLS_RETENTION", Path: "calls.retention", val: (*durationValue)(&c.Calls.Retention)},

		{Env: "AMIGATE_WEBHOOK_URL", Path: "webhooks.url", val: (*stringValue)(&c.Webhooks.URL)},
		{Env: "AMIGATE_WEBHOOK_SECRET", Path: "webhooks.secret", val: (*stringValue)(&c.Webhooks.Secret), secret: true},
		{Env: "AMIGATE_WEBHOOK_EVENTS", Path: "webhooks.events", val: &listValue{p: &c.Webhooks.Events, sep: ","}},
		{Path: "webhooks.subscriptions", val: (*subscriptionsValue)(&c.Webhooks.Subscriptions)},
		{Env: "AMIGATE_WEBHOOK_ALLOW_PRIVATE", Path: "webhooks.allow_private", val: (*boolValue)(&c.Webhooks.AllowPrivate)},
		{Env: "AMIGATE_WEBHOOK_TIMEOUT", Path: "webhooks.timeout", val: (*durationValue)(&c.Webhooks.Timeout)},

		{Env: "AMIGATE_DATA_DIR", Path: "store.data_dir", val: (*stringValue)(&c.Store.DataDir)},
		{Env: "AMIGATE_NATS_URL", Path: "store.nats_url", val: (*stringValue)(&c.Store.NATSURL), secret: true},
		{Env: "AMIGATE_SECRETS_KEY", Path: "store.secrets_key", val: (*stringValue)(&c.Store.SecretsKey), secret: true},
		{Env: "AMIGATE_SECRETS_KEY_PREVIOUS", Path: "store.secrets_key_previous", val: (*stringValue)(&c.Store.SecretsKeyPrevious), secret: true},

		{Env: "AMIGATE_HISTORY_RETENTION", Path: "history.retention", val: (*durationValue)(&c.History.Retention)},

		{Env: "AMIGATE_CAMPAIGNS", Path: "campaign.enabled", val: (*stringValue)(&c.Campaign.Enabled)},
		{Env: "AMIGATE_CAMPAIGN_TICK", Path: "campaign.tick", val: (*durationValue)(&c.Campaign.Tick)},
		{Env: "AMIGATE_CAMPAIGN_RESOLVE_TIMEOUT", Path: "campaign.resolve_timeout", val: (*durationValue)(&c.Campaign.ResolveTimeout)},
		{Env: "AMIGATE_CAMPAIGN_LEASE", Path: "campaign.lease", val: (*durationValue)(&c.Campaign.Lease)},
		{Env: "AMIGATE_CAMPAIGN_ADVERTISE_URL", Path: "campaign.advertise_url", val: (*stringValue)(&c.Campaign.AdvertiseURL)},
	}
}

// Setting describes one configuration key for the reference documentation.
type Setting struct {
	Env     string // environment variable; empty for file-only settings
	Path    string // YAML key, dotted
	Default string // text form of the default; empty for none
	Secret  bool   // also read from Env+"_FILE"
}

// Settings returns every setting in table order with its default, for the
// configuration reference.
func Settings() []Setting {
	c := Defaults()
	var out []Setting
	for _, k := range keys(&c) {
		out = append(out, Setting{Env: k.Env, Path: k.Path, Default: k.val.String(), Secret: k.secret})
	}
	return out
}

// Names returns every environment variable and YAML path, in table order:
// for documentation and the tests of the example file.
func Names() (env, paths []string) {
	var c Config
	for _, k := range keys(&c) {
		if k.Env != "" {
			env = append(env, k.Env)
		}
		paths = append(paths, k.Path)
	}
	return env, paths
}
