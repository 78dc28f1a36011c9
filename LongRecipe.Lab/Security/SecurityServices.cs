using Microsoft.Extensions.Options;

namespace LongRecipe.Lab.Security;

public static class SecurityServices
{
    /// <summary>
    /// The security options and the access token for the addresses the Lab is told to listen on (--urls, Urls,
    /// ASPNETCORE_URLS, Kestrel endpoints). Throws a <see cref="LabSecurityException"/> when it listens beyond loopback
    /// and cannot have a token.
    /// </summary>
    public static WebApplicationBuilder AddLabSecurity(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<LabSecurityOptions>().Bind(builder.Configuration.GetSection(LabSecurityOptions.Section));
        var urls = (builder.Configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>())
            .ToList();
        var data = Path.GetFullPath(builder.Configuration[$"{LabOptions.Section}:{nameof(LabOptions.DataDirectory)}"] ?? "data",
            builder.Environment.ContentRootPath);
        builder.Services.AddSingleton(AccessToken.For(urls, builder.Configuration[$"{LabSecurityOptions.Section}:{nameof(LabSecurityOptions.AccessToken)}"], data));
        return builder;
    }

    /// <summary>The gate before everything else; at start, the address with the token when one is asked for.</summary>
    public static WebApplication UseLabSecurity(this WebApplication app)
    {
        app.UseMiddleware<LabGate>();
        var token = app.Services.GetRequiredService<AccessToken>();
        if (token.Required && token.Beyond.Count == 0)
            app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine(
                "The Lab asks for the access token Lab:Security:AccessToken sets: open it with ?token=<token> once, or send 'Authorization: Bearer <token>'."));
        else if (token.Required)
            app.Lifetime.ApplicationStarted.Register(() =>
            {
                var port = new Uri(token.Beyond[0].Replace("*", "localhost").Replace("+", "localhost")).Port;
                Console.WriteLine($"The Lab listens beyond this machine ({string.Join(", ", token.Beyond)}) and asks for its access token. Open:");
                Console.WriteLine($"    http://{Environment.MachineName}:{port}/?token={token.Value}");
                Console.WriteLine($"(the token is {(token.File is null ? "Lab:Security:AccessToken" : $"in {token.File}")}; the Lab answers to " +
                    $"{string.Join(", ", app.Services.GetRequiredService<IOptions<LabSecurityOptions>>().Value.HostsFor(token))}, Lab:Security:AllowedHosts in appsettings.json)");
            });
        return app;
    }
}
