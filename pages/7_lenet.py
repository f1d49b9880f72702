import streamlit as st

from cnnviz.lenet import page as lenet_page
from cnnviz.lenet.model import LeNetConfig, build_lenet, describe_architecture, layer_summary
from cnnviz.viz.lenet_figures import architecture_figure
from ui import charts, config_ui
from ui import lenet_inspect as inspect_ui
from ui import lenet_train as train_ui


@st.cache_resource(max_entries=32, show_spinner=False)
def architecture(config: LeNetConfig):
    """Layer table and data-flow figure of one architecture, built once per server process."""
    rows = layer_summary(build_lenet(config, seed=0))
    return rows, architecture_figure(rows)


page = config_ui.start(lenet_page.PAGE, train_ui.first_available)
st.title("LeNet: a complete CNN, trained live")
st.markdown(
    "LeNet-5 stacks what the previous pages built: two convolution blocks (convolution, "
    "activation, 2x2 pooling with stride 2) turn a 28x28 image into 16 small feature maps, "
    "which are flattened and passed through three dense layers that end in one score per "
    "class. Choose the architecture, train it here, then look inside.")

arch_tab, train_tab, inspect_tab = config_ui.tabs(page, "tab")

with arch_tab:
    variant = config_ui.widget(page, "variant", "Variant", style="radio", horizontal=True,
                               adjust=lenet_page.variant_training,
                               help="classic: sigmoid and average pooling, as in 1998. "
                               "modern: ReLU and max pooling.")
    if variant == "custom":
        c1, c2, c3, c4, c5 = st.columns(5)
        config_ui.widget(page, "act", "Activation", where=c1, adjust=lenet_page.variant_training)
        config_ui.widget(page, "pool", "Pooling", where=c2)
        config_ui.widget(page, "c1", "Channels, conv 1", where=c3)
        config_ui.widget(page, "c2", "Channels, conv 2", where=c4)
        config_ui.widget(page, "k", "Kernel size", where=c5)
    config = lenet_page.architecture(page.so_far())
    rows, diagram = architecture(config)
    charts.plotly_chart(diagram, key="lenet_diagram")
    # Tall enough for every row (35 px each, plus the header): the whole table, no scrolling.
    st.dataframe({"layer": [r.name for r in rows], "output shape": [r.shape_text for r in rows],
                  "parameters": [r.params for r in rows]}, hide_index=True, width="stretch",
                 height=35 * (len(rows) + 1) + 3)
    st.caption(describe_architecture(config, rows) + " " + page.caption())

with train_tab:
    dataset, train_set, test_set = train_ui.dataset_choice(page)
    st.caption(f"{len(train_set):,} training and {len(test_set):,} test images "
               f"({train_set.source}).")
    tconfig = train_ui.hyperparameters(page, len(train_set))
    job = train_ui.current_job()
    busy = job is not None and job.view().active
    if st.button(f"Train the {config.label} LeNet", type="primary", disabled=busy,
                 key="lenet_train"):
        train_ui.start_training(config, tconfig, dataset, train_set, test_set)
    train_ui.live_panel(test_set.classes)
    st.subheader("Weights")
    train_ui.weights_panel(config)

with inspect_tab:
    model = st.session_state.get("lenet_model")
    meta = st.session_state.get("lenet_model_meta", {})
    if not inspect_tab.open:
        pass  # 0.25 s of CPU per rerun with a model: 30 students ending a run at once stalled
    elif model is None:
        st.info("Train a network on the Training tab (or upload weights) to look inside it.")
    else:
        key = meta.get("dataset", dataset)
        test = train_ui.splits(key)[1] if key != dataset else test_set
        if len(test.classes) != model.config.num_classes:
            st.error("The model's number of classes does not match this data set.")
            st.stop()
        st.caption(f"Model: {meta.get('label', 'trained')} · data set: {test.name}")
        probs = inspect_ui.predictions(model, test)
        source = config_ui.widget(page, "source", "Input", style="radio", horizontal=True)
        truth = image = None
        try:
            if source == "test image":
                index = inspect_ui.gallery(page, test, probs)
                image, truth = test.images[index], test.classes[int(test.labels[index])]
            elif source == "draw":
                image = inspect_ui.drawn_input(test.name)
            else:
                image = inspect_ui.uploaded_input(page)
            if image is not None:
                inspect_ui.activations(model, image, test.classes, truth)
                st.subheader("What one pixel sees (receptive field)")
                inspect_ui.receptive_fields(model, image)
        except ValueError as exc:
            st.warning(str(exc))
        st.subheader("Where it goes wrong")
        inspect_ui.mistakes(test, probs)
        st.subheader("First-layer kernels on a whole micrograph")
        inspect_ui.micrograph(model)

config_ui.finish(page)
