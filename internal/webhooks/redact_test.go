package webhooks

import "testing"

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://crm.example/hooks?x=1", "https://crm.example/hooks?x=1"},
		{"https://user:pass@crm.example/hooks", "https://xxxxx@crm.example/hooks"},
		{"https://tok3n@crm.example:8443/h", "https://xxxxx@crm.example:8443/h"},
		{"https://a%40b:p%3Ass@crm.example/", "https://xxxxx@crm.example/"},
		{"http://[::1]:80/x", "http://[::1]:80/x"},
		{"https://crm.example/hooks?token=abc&x=1", "https://crm.example/hooks?token=xxxxx&x=1"},
		{"https://crm.example/hooks?x=1&KEY=abc&Sig=s%2B1&signature=z", "https://crm.example/hooks?x=1&KEY=xxxxx&Sig=xxxxx&signature=xxxxx"},
		{"https://crm.example/h?access_token=a&api_key=b&apikey=c&secret=d&password=e&auth=f", "https://crm.example/h?access_token=xxxxx&api_key=xxxxx&apikey=xxxxx&secret=xxxxx&password=xxxxx&auth=xxxxx"},
		{"https://crm.example/h?to%6Ben=a", "https://crm.example/h?to%6Ben=xxxxx"},
		{"https://crm.example/h?token", "https://crm.example/h?token"},
		{"https://crm.example/h?tokens=a&monkey=b", "https://crm.example/h?tokens=a&monkey=b"},
		{"https://u:p@crm.example/h?token=a#frag", "https://xxxxx@crm.example/h?token=xxxxx#frag"},
		{"https://user:pass@crm.example/%zz\x7f", "(invalid URL)"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
