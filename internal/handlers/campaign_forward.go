package handlers

import (
	"net/http"
	"net/http/httputil"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/amigate/amigate"
)

// headerForwarded marks a campaign request one instance forwarded to
// another: that one serves it itself, so that instances that disagree for
// a moment on which of them runs the campaigns never forward in a loop.
const headerForwarded = "Amigate-Forwarded"

// forwardCampaigns sends a campaign request, once authenticated, to the
// instance that runs the campaigns when it is another one (Deps.CampaignsAt):
// that instance's campaigns in memory are the ones it dials and stores, so
// its answers are never out of date and its changes never race with the
// dialling. The request goes as it came, token included, and is checked
// there again.
func (s *server) forwardCampaigns(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if s.d.CampaignsAt == nil || r.Header.Get(headerForwarded) != "" {
			return next(c)
		}
		to := s.d.CampaignsAt()
		if to == "" {
			return next(c)
		}
		u, err := url.Parse(to)
		if err != nil {
			return err
		}
		var failed error
		local := c.Response().Header()
		p := &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(u)
				pr.SetXForwarded()
				pr.Out.Header.Set(headerForwarded, "1")
				// One request id in both instances' logs.
				pr.Out.Header.Set(echo.HeaderXRequestID, local.Get(echo.HeaderXRequestID))
			},
			ModifyResponse: func(resp *http.Response) error {
				// What this instance's middleware set (the request id,
				// CORS) is not repeated: a browser refuses a doubled
				// Access-Control-Allow-Origin.
				for k := range local {
					resp.Header.Del(k)
				}
				return nil
			},
			ErrorHandler: func(_ http.ResponseWriter, _ *http.Request, err error) { failed = err },
		}
		p.ServeHTTP(c.Response(), r)
		if failed != nil {
			s.log.Warn("campaign request not forwarded", "to", to, "err", failed)
			// Most likely the holder just stopped: another instance takes
			// over within the lease.
			return amigate.Errorf(amigate.ErrNoDialer, "the instance that runs the campaigns did not answer; retry")
		}
		return nil
	}
}
