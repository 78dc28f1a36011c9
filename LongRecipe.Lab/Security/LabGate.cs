using Microsoft.Extensions.Options;

namespace LongRecipe.Lab.Security;

/// <summary>
/// Every request passes three checks before the Lab serves it, so that only its user can drive it:
/// its Host must be one the Lab answers to (a DNS-rebinding page names its own host, and is refused, 400);
/// a page's Origin, when the browser sends one (WebSocket upgrades, posts, scripts' fetches), must be the Lab's own
/// or an allowed one (a page elsewhere cannot open /_blazor or /hubs/runs, 403); and, when the Lab listens beyond
/// loopback, the access token must come with it: in the lab_token cookie, an "Authorization: Bearer" header, or
/// access_token in the query (SignalR's WebSocket clients), or ?token= once, which sets the cookie (401 otherwise).
/// </summary>
public sealed class LabGate(RequestDelegate next, IOptions<LabSecurityOptions> options, AccessToken token)
{
    public const string Cookie = "lab_token";

    private readonly IReadOnlyList<string> hosts = options.Value.HostsFor(token);

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!hosts.Contains(request.Host.Host, StringComparer.OrdinalIgnoreCase) && !hosts.Contains($"[{request.Host.Host}]", StringComparer.OrdinalIgnoreCase))
            return Refuse(context, StatusCodes.Status400BadRequest,
                $"The Lab does not answer to the host '{request.Host.Host}'. It answers to {string.Join(", ", hosts)}; " +
                "to reach it by this name, add the name to Lab:Security:AllowedHosts in appsettings.json.");

        // A browser sends one Origin; a request naming several cannot be judged by one of them.
        if (request.Headers.Origin.Count > 1)
            return Refuse(context, StatusCodes.Status403Forbidden, $"A request names one Origin; this one names {request.Headers.Origin.Count}.");
        if (request.Headers.Origin is [{ } origin] && !SameOrigin(request, origin) && !options.Value.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase))
            return Refuse(context, StatusCodes.Status403Forbidden,
                $"A page at {origin} may not drive the Lab. To let it, add {origin} to Lab:Security:AllowedOrigins in appsettings.json.");

        if (!token.Required || token.Matches(request.Cookies[Cookie]) || token.Matches(Bearer(request)) || token.Matches(request.Query["access_token"]))
            return next(context);
        if (token.Matches(request.Query["token"]))
        {
            // Once: the cookie carries the token from here on, and the address bar loses it.
            context.Response.Cookies.Append(Cookie, token.Value!, new CookieOptions
                { HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = request.IsHttps, Path = "/" });
            var query = QueryString.Create(request.Query.Where(q => q.Key != "token"));
            context.Response.Redirect(request.PathBase + request.Path + query);
            return Task.CompletedTask;
        }
        return Refuse(context, StatusCodes.Status401Unauthorized,
            "This Lab listens beyond its machine and asks for its access token: open the address it printed when it started " +
            $"(…/?token=…; the token is in {token.File ?? "Lab:Security:AccessToken"}), or send 'Authorization: Bearer <token>'.");
    }

    private static bool SameOrigin(HttpRequest request, string origin) =>
        string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase);

    private static string? Bearer(HttpRequest request) =>
        request.Headers.Authorization is [{ } value] && value.StartsWith("Bearer ", StringComparison.Ordinal) ? value["Bearer ".Length..] : null;

    private static Task Refuse(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message + "\n");
    }
}
