using LongRecipe.Engine.Runs;
using LongRecipe.Lab;
using LongRecipe.Lab.Components;
using LongRecipe.Lab.Components.Pages.Runs;
using LongRecipe.Lab.Live;
using LongRecipe.Lab.Queue;
using LongRecipe.Lab.Security;

// appsettings.json lives at the repository root and wwwroot/ in the Lab's folder, whichever way the Lab is started.
var root = Workspace.LocateRoot();
// A relative path in a run spec (a corpus, a model) is checked against the root (ModelCatalog.PlaceProblems); the engine
// reads it against the current directory, which must then be the root too, or the Lab would read what it never checked.
Directory.SetCurrentDirectory(root);
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = root,
    WebRootPath = Path.Combine(root, "LongRecipe.Lab", "wwwroot"),
});
// Package assets (_content/MudBlazor/..., _content/Plotly.Blazor/...) are served from the NuGet cache in every
// environment, not only in Development; a published Lab has them in its own wwwroot and this does nothing.
builder.WebHost.UseStaticWebAssets();
builder.AddLabServices();
try
{
    builder.AddLabSecurity();
}
catch (LabSecurityException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

var app = builder.Build();
app.UseLabSecurity();

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
}
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);

app.UseAntiforgery();
app.MapStaticAssets();
// Browsers still ask for /favicon.ico where a document names no icon (a CSV or JSON download opened in a tab).
app.MapGet("/favicon.ico", () => Results.File(Path.Combine(app.Environment.WebRootPath, "favicon.svg"), "image/svg+xml"));
app.MapRazorComponents<App>()
    .AddInteractiveServerRenderMode();
app.MapRunEvents();
app.MapRunDownloads();
app.MapRunQueueApi();

app.Run();
return 0;
